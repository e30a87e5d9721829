//! The annotations admission writes, in words a person reads in `kubectl describe pod`:
//! `rightsize.dev/admitted` (or `rightsize.dev/recommendation` when only recommending) holds one
//! entry per container, `<name>: <resource> <field> <old> -> <new>, ... (<rule>; <notes>)`, and
//! `rightsize.dev/admitted-containers` lists the containers handled, so a reinvocation leaves
//! them alone.

use std::collections::{BTreeMap, BTreeSet};

use rightsize_policy::annotations::{ADMITTED, ADMITTED_CONTAINERS, RECOMMENDATION};
use rightsize_policy::quantity::Quantity;
use rightsize_policy::resources::{Field, Resource};

use super::plan::{Plan, Sized};

/// Separates container entries in the text annotations.
const ENTRY_SEPARATOR: &str = "; ";
/// Separates names in `rightsize.dev/admitted-containers`.
const NAME_SEPARATOR: char = ',';

/// Containers a previous invocation handled (from `rightsize.dev/admitted-containers`).
pub(crate) fn handled(annotations: Option<&BTreeMap<String, String>>) -> BTreeSet<&str> {
    annotations
        .and_then(|a| a.get(ADMITTED_CONTAINERS))
        .map(|v| {
            v.split(NAME_SEPARATOR)
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The annotations to set for `plan`: the text one (`admitted`, or `recommendation` when
/// `recommend`), extended with the new entries if a previous invocation wrote it, and the list
/// of handled containers.
pub(crate) fn annotations(
    plan: &Plan,
    recommend: bool,
    existing: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let key = if recommend { RECOMMENDATION } else { ADMITTED };
    let previous = existing.and_then(|a| a.get(key)).filter(|v| !v.is_empty());
    let entries = plan.sized.iter().map(entry);
    let text = previous
        .cloned()
        .into_iter()
        .chain(entries)
        .collect::<Vec<_>>()
        .join(ENTRY_SEPARATOR);
    let mut names: BTreeSet<&str> = handled(existing);
    names.extend(plan.all.iter().map(String::as_str));
    let names = names.into_iter().collect::<Vec<_>>().join(",");
    BTreeMap::from([
        (key.to_owned(), text),
        (ADMITTED_CONTAINERS.to_owned(), names),
    ])
}

/// One container's entry: what changed, then why.
pub(crate) fn entry(s: &Sized) -> String {
    let mut changes = Vec::new();
    for resource in Resource::ALL {
        let (old, new) = (s.old.get(resource), s.new.get(resource));
        for (field, old, new) in [
            (Field::Request, old.request, new.request),
            (Field::Limit, old.limit, new.limit),
        ] {
            if old != new {
                changes.push(format!("{resource} {field} {} -> {}", show(old), show(new)));
            }
        }
    }
    let what = if changes.is_empty() {
        "unchanged".to_owned()
    } else {
        changes.join(", ")
    };
    let why = std::iter::once(s.rule.as_str())
        .chain(s.notes.iter().map(String::as_str))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    format!("{}: {what} ({why})", s.name)
}

fn show(q: Option<Quantity>) -> String {
    q.map_or_else(|| "none".to_owned(), |q| q.to_string())
}
