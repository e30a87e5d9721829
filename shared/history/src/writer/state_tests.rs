//! Writer-state tests: merging, absorbing shards read back, growth, garbage collection and
//! which shards each flush policy writes, all without I/O.

use super::*;
use crate::shard::decode_shard;
use rightsize_policy::profile::UsageProfile;

const T0: f64 = 1.7e9;

fn history(hour: u32, peak: f64) -> WorkloadHistory {
    let mut p = UsageProfile::new();
    p.record(T0 + f64::from(hour) * 3600.0, peak);
    let mut h = WorkloadHistory::new();
    h.merge_container("app", &p);
    h
}

fn updates(keys: impl IntoIterator<Item = String>, hour: u32) -> HashMap<String, WorkloadHistory> {
    keys.into_iter().map(|k| (k, history(hour, 1e8))).collect()
}

/// Pretends every planned write succeeded, as the server would store it.
fn write_all(st: &mut WriterState) -> Vec<u32> {
    let order = st.shards_to_write(Flush::All);
    for &i in &order {
        let w = st.build(i);
        let mut stored = w.config_map.clone();
        stored.metadata.resource_version = Some(format!("rv{i}"));
        st.written(i, w, &stored);
    }
    order
}

#[test]
fn updates_make_their_home_shards_dirty_and_a_write_cleans_them() {
    let mut st = WriterState::default();
    st.merge_updates(updates((0..10).map(|i| format!("deploy.ns.a{i}")), 0));
    assert_eq!(st.shards_to_write(Flush::All), vec![0]);
    assert_eq!(write_all(&mut st), vec![0]);
    assert!(st.dirty.is_empty());
    assert!(st.shards_to_write(Flush::All).is_empty());
    // Replaying the same data changes nothing, so nothing is written.
    st.merge_updates(updates((0..10).map(|i| format!("deploy.ns.a{i}")), 0));
    assert!(st.shards_to_write(Flush::All).is_empty());
}

#[test]
fn growth_writes_new_shards_first_and_drops_moved_keys_from_old_ones() {
    let mut st = WriterState::default();
    let keys: Vec<String> = (0..200).map(|i| format!("deploy.ns.a{i}")).collect();
    st.merge_updates(updates(keys.clone(), 0));
    write_all(&mut st);
    let one = st.build(0).bytes;
    assert_eq!(st.plan_count(one / 3), Some(st.count));
    assert!(st.count >= 4, "count {}", st.count);
    let order = write_all(&mut st);
    assert_eq!(order.last(), Some(&0));
    assert!(order.windows(2).all(|w| w[0] > w[1]), "{order:?}");
    // Every key is now in exactly one shard: its home.
    for k in &keys {
        let holders: Vec<u32> = st
            .shards
            .iter()
            .filter(|(_, s)| s.present.contains(k))
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(holders, vec![st.home(k)], "{k}");
    }
}

#[test]
fn a_conflicting_copy_is_merged_and_a_stray_waits_for_its_home() {
    let mut st = WriterState {
        count: 2,
        ..WriterState::default()
    };
    let keys: Vec<String> = (0..40).map(|i| format!("sts.db.s{i}")).collect();
    let stray = keys.iter().find(|k| st.home(k) == 1).unwrap().clone();
    let local = keys.iter().find(|k| st.home(k) == 0).unwrap().clone();
    st.merge_updates(updates([local.clone()], 0));
    // Another writer (count 1) stored both keys in shard 0, with other hours.
    let theirs = crate::shard::build_shard(
        0,
        1,
        None,
        Some("7".into()),
        [
            (stray.clone(), RawEntry::Binary(history(5, 2e8).encode())),
            (local.clone(), RawEntry::Binary(history(6, 3e8).encode())),
        ],
    );
    st.absorb(0, &decode_shard(&theirs), 0);
    assert_eq!(st.count, 2, "a smaller recorded count is ignored");
    assert_eq!(
        st.known[&local].container("app").unwrap().hours_observed(),
        2
    );
    assert!(st.dirty.contains(&stray) && st.dirty.contains(&local));
    assert_eq!(st.shards_to_write(Flush::All), vec![1, 0]);
    // Written before its home, shard 0 would have to keep the stray...
    assert_eq!(st.build(0).strays, vec![stray.clone()]);
    // ...but homes go first, so one pass stores it at home and drops the copy.
    write_all(&mut st);
    assert!(st.dirty.is_empty());
    assert!(st.shards_to_write(Flush::All).is_empty());
    assert!(!st.shards[&0].present.contains(&stray));
    assert!(st.shards[&1].present.contains(&stray));
}

#[test]
fn garbage_is_forgotten_and_dropped_from_its_shard() {
    let mut st = WriterState::default();
    st.merge_updates(updates(["job.a.old".to_owned()], 0));
    st.merge_updates(updates(["job.a.new".to_owned()], 400));
    write_all(&mut st);
    let cutoff = (T0 as i64) + 100 * 3600;
    assert_eq!(st.collect_garbage(cutoff), 1);
    assert_eq!(st.shards_to_write(Flush::All), vec![0]);
    let w = st.build(0);
    assert_eq!(w.homed, vec!["job.a.new".to_owned()]);
}

#[test]
fn undecodable_values_are_kept_unless_replaced() {
    let mut st = WriterState::default();
    let cm = crate::shard::build_shard(
        0,
        1,
        None,
        Some("1".into()),
        [
            (
                "deploy.a.future".to_owned(),
                RawEntry::Binary(vec![9, 9, 9]),
            ),
            ("deploy.a.mine".to_owned(), RawEntry::Binary(vec![9])),
        ],
    );
    st.absorb(0, &decode_shard(&cm), 0);
    assert!(
        st.shards_to_write(Flush::All).is_empty(),
        "nothing to replace yet"
    );
    st.merge_updates(updates(["deploy.a.mine".to_owned()], 0));
    let w = st.build(0);
    assert_eq!(w.homed, vec!["deploy.a.mine".to_owned()]);
    assert_eq!(w.foreign.keys().collect::<Vec<_>>(), ["deploy.a.future"]);
}

#[test]
fn a_deleted_shard_is_rebuilt_from_everything_known() {
    let mut st = WriterState::default();
    let keys: Vec<String> = (0..5).map(|i| format!("ds.sys.d{i}")).collect();
    st.merge_updates(updates(keys.clone(), 0));
    write_all(&mut st);
    st.forget(0);
    assert_eq!(st.shards_to_write(Flush::All), vec![0]);
    let w = st.build(0);
    assert_eq!(w.homed.len(), 5);
    assert!(w.config_map.metadata.resource_version.is_none(), "a create");
}

const MATERIAL: Flush = Flush::Material(0.1);

/// `history(hour, peak)` with a later sample of `peak * factor` in the same hour.
fn grown(hour: u32, peak: f64, factor: f64) -> WorkloadHistory {
    let mut p = UsageProfile::new();
    p.record(T0 + f64::from(hour) * 3600.0, peak);
    p.record(T0 + f64::from(hour) * 3600.0 + 60.0, peak * factor);
    let mut h = WorkloadHistory::new();
    h.merge_container("app", &p);
    h
}

#[test]
fn immaterial_updates_are_not_selected_periodically_but_an_acknowledged_flush_writes_them() {
    let mut st = WriterState::default();
    let keys: Vec<String> = (0..10).map(|i| format!("deploy.ns.a{i}")).collect();
    st.merge_updates(updates(keys.clone(), 0));
    assert_eq!(
        st.shards_to_write(MATERIAL),
        vec![0],
        "new keys are material"
    );
    write_all(&mut st);
    // The current hour's peak grows by 5 %: a change, not a material one.
    let small: HashMap<String, WorkloadHistory> = keys
        .iter()
        .map(|k| (k.clone(), grown(0, 1e8, 1.05)))
        .collect();
    st.merge_updates(small);
    assert_eq!(st.dirty.len(), 10);
    assert!(st.shards_to_write(MATERIAL).is_empty());
    assert_eq!(st.deferred(MATERIAL), 10);
    // Tolerance 0 (the filter off) and acknowledged flushes write every change.
    assert_eq!(st.shards_to_write(Flush::Material(0.0)), vec![0]);
    assert_eq!(st.shards_to_write(Flush::All), vec![0]);
    assert_eq!(st.deferred(Flush::All), 0);
    let w = st.build(0);
    assert_eq!(w.homed.len(), 10);
    let mut stored = w.config_map.clone();
    stored.metadata.resource_version = Some("rv1".into());
    st.written(0, w, &stored);
    assert!(st.dirty.is_empty() && st.baseline.is_empty());
    let decoded = decode_shard(&stored);
    for (key, h, _) in &decoded.entries {
        assert_eq!(h, &st.known[key], "{key}: the immaterial change is stored");
    }
}

#[test]
fn small_rises_add_up_against_what_was_stored_and_one_material_key_writes_its_whole_shard() {
    let mut st = WriterState::default();
    let keys: Vec<String> = (0..10).map(|i| format!("deploy.ns.a{i}")).collect();
    st.merge_updates(updates(keys.clone(), 0));
    write_all(&mut st);
    // Two rises of 6 % each: neither is material against the previous value, but together
    // they are 12.4 % above what was stored.
    st.merge_updates(updates([keys[0].clone()], 0));
    st.merge_updates([(keys[0].clone(), grown(0, 1e8, 1.06))].into());
    assert!(st.shards_to_write(MATERIAL).is_empty());
    st.merge_updates([(keys[1].clone(), grown(0, 1e8, 1.06))].into());
    st.merge_updates([(keys[0].clone(), grown(0, 1e8, 1.06 * 1.06))].into());
    assert_eq!(st.shards_to_write(MATERIAL), vec![0]);
    let w = st.build(0);
    assert_eq!(w.homed.len(), 10, "every key of the shard is written");
    let mut stored = w.config_map.clone();
    stored.metadata.resource_version = Some("rv1".into());
    st.written(0, w, &stored);
    assert!(st.dirty.is_empty(), "the immaterial key too");
    // A completed hour is material whatever the tolerance.
    st.merge_updates(updates([keys[2].clone()], 1));
    assert_eq!(st.shards_to_write(Flush::Material(1e9)), vec![0]);
}

#[test]
fn layout_work_is_material_for_the_periodic_flush() {
    let mut st = WriterState::default();
    let keys: Vec<String> = (0..200).map(|i| format!("deploy.ns.a{i}")).collect();
    st.merge_updates(updates(keys.clone(), 0));
    write_all(&mut st);
    // A shard deleted by hand is recreated.
    st.forget(0);
    assert_eq!(st.shards_to_write(MATERIAL), vec![0]);
    write_all(&mut st);
    // A growth moves keys: their new homes are written, and the old shard drops them.
    let one = st.build(0).bytes;
    st.plan_count(one / 3);
    assert!(st.count >= 4);
    let planned = st.shards_to_write(MATERIAL);
    assert_eq!(planned, st.shards_to_write(Flush::All));
    assert_eq!(planned.len() as u32, st.count);
    // Garbage is dropped.
    write_all(&mut st);
    assert_eq!(st.collect_garbage((T0 as i64) + 3600 * 100), 200);
    assert!(!st.shards_to_write(MATERIAL).is_empty());
}

#[test]
fn a_reread_home_shard_becomes_the_baseline() {
    let mut st = WriterState::default();
    let key = "deploy.ns.shared".to_owned();
    st.merge_updates([(key.clone(), grown(0, 1e8, 1.05))].into());
    // Another writer stored this hour at a peak 5 % lower: the difference is not material.
    let theirs = crate::shard::build_shard(
        0,
        1,
        None,
        Some("7".into()),
        [(key.clone(), RawEntry::Binary(history(0, 1e8).encode()))],
    );
    st.absorb(0, &decode_shard(&theirs), 0);
    assert!(st.dirty.contains(&key));
    assert!(st.shards_to_write(MATERIAL).is_empty());
    assert_eq!(st.shards_to_write(Flush::All), vec![0]);
    // What is stored at home equals what is known: clean, no baseline left.
    let same = crate::shard::build_shard(
        0,
        1,
        None,
        Some("8".into()),
        [(key.clone(), RawEntry::Binary(st.known[&key].encode()))],
    );
    st.absorb(0, &decode_shard(&same), 0);
    assert!(st.dirty.is_empty() && st.baseline.is_empty());
}

#[test]
fn an_immaterial_stray_has_its_home_written_so_its_copy_is_dropped_once() {
    let mut st = WriterState {
        count: 2,
        ..WriterState::default()
    };
    let keys: Vec<String> = (0..40).map(|i| format!("sts.db.s{i}")).collect();
    let stray = keys.iter().find(|k| st.home(k) == 1).unwrap().clone();
    st.merge_updates(updates([stray.clone()], 0));
    write_all(&mut st);
    // A writer with count 1 stored a copy in shard 0, 5 % higher in the same hour.
    let theirs = crate::shard::build_shard(
        0,
        1,
        None,
        Some("7".into()),
        [(
            stray.clone(),
            RawEntry::Binary(grown(0, 1e8, 1.05).encode()),
        )],
    );
    st.absorb(0, &decode_shard(&theirs), 0);
    assert!(st.dirty.contains(&stray));
    assert!(
        st.baseline.contains_key(&stray),
        "its home holds the value before"
    );
    assert_eq!(st.shards_to_write(MATERIAL), vec![1, 0]);
    for i in st.shards_to_write(MATERIAL) {
        let w = st.build(i);
        let mut stored = w.config_map.clone();
        stored.metadata.resource_version = Some(format!("rv{i}"));
        st.written(i, w, &stored);
    }
    assert!(!st.shards[&0].present.contains(&stray));
    assert!(st.shards_to_write(MATERIAL).is_empty());
    assert!(st.shards_to_write(Flush::All).is_empty());
}
