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
    let order = st.shards_to_write();
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
    assert_eq!(st.shards_to_write(), vec![0]);
    assert_eq!(write_all(&mut st), vec![0]);
    assert!(st.dirty.is_empty());
    assert!(st.shards_to_write().is_empty());
    // Replaying the same data changes nothing, so nothing is written.
    st.merge_updates(updates((0..10).map(|i| format!("deploy.ns.a{i}")), 0));
    assert!(st.shards_to_write().is_empty());
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
    assert_eq!(st.shards_to_write(), vec![1, 0]);
    // Written before its home, shard 0 would have to keep the stray...
    assert_eq!(st.build(0).strays, vec![stray.clone()]);
    // ...but homes go first, so one pass stores it at home and drops the copy.
    write_all(&mut st);
    assert!(st.dirty.is_empty());
    assert!(st.shards_to_write().is_empty());
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
    assert_eq!(st.shards_to_write(), vec![0]);
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
    assert!(st.shards_to_write().is_empty(), "nothing to replace yet");
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
    assert_eq!(st.shards_to_write(), vec![0]);
    let w = st.build(0);
    assert_eq!(w.homed.len(), 5);
    assert!(w.config_map.metadata.resource_version.is_none(), "a create");
}
