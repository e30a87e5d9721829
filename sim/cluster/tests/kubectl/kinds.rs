//! kubectl against the issue-12 kinds of the simulated cluster: `kubectl apply -f` creates a
//! LimitRange, a ResourceQuota, a PodDisruptionBudget, a StatefulSet, a DaemonSet, a Job and a
//! CronJob; `kubectl get` prints each with the real printer's columns; `kubectl run` over the
//! quota and `kubectl scale` behave as against a real server; `kubectl delete -f` removes them.
//! Skipped, loudly, where kubectl is not installed (fails under CI).

use rightsize_sim_cluster::testing::eventually;
use rightsize_sim_cluster::testing::kubectl::{self, ok, refused, run_in as run};

const MANIFEST: &str = r#"
apiVersion: v1
kind: LimitRange
metadata: {name: mem}
spec:
  limits:
  - type: Container
    max: {memory: 1Gi}
    default: {memory: 256Mi}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: team}
spec:
  hard: {limits.memory: 2Gi, requests.memory: 2Gi, pods: "10"}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: db}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: registry.example/db:1}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: registry.example/agent:1}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    metadata:
      annotations: {sim.rightsize.dev/run-for: 1s}
    spec:
      restartPolicy: Never
      containers: [{name: once, image: registry.example/job:1}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: nightly, image: registry.example/job:1}]
"#;

fn header(out: &str) -> Vec<&str> {
    out.lines()
        .next()
        .unwrap_or("")
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_applies_gets_and_deletes_the_policy_and_workload_kinds() {
    if !kubectl::required("the kubectl policy/workload kinds test") {
        return;
    }
    let (_sim, dir) = crate::session().await;
    let d = dir.path();
    let file = d.join("kinds.yaml");
    std::fs::write(&file, MANIFEST).unwrap();
    let f = file.to_str().unwrap();

    let out = ok(&run(d, &["apply", "-f", f]).await, "apply");
    for line in [
        "limitrange/mem created",
        "resourcequota/team created",
        "poddisruptionbudget.policy/db created",
        "statefulset.apps/db created",
        "daemonset.apps/agent created",
        "job.batch/once created",
        "cronjob.batch/nightly created",
    ] {
        assert!(out.contains(line), "{line:?} missing from:\n{out}");
    }

    let sts = eventually("kubectl get sts shows 2/2", || async {
        let o = run(d, &["get", "sts"]).await;
        let s = String::from_utf8_lossy(&o.stdout).into_owned();
        s.contains("2/2").then_some(s)
    })
    .await;
    assert_eq!(header(&sts), ["NAME", "READY", "AGE"]);
    let pods = ok(
        &run(d, &["get", "pods", "-l", "app=db", "-o", "name"]).await,
        "get pods",
    );
    assert_eq!(pods.trim(), "pod/db-0\npod/db-1");

    let cases: [(&[&str], &[&str]); 6] = [
        (
            &["get", "ds"],
            &[
                "NAME",
                "DESIRED",
                "CURRENT",
                "READY",
                "UP-TO-DATE",
                "AVAILABLE",
                "NODE SELECTOR",
                "AGE",
            ],
        ),
        (
            &["get", "jobs"],
            &["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
        ),
        (
            &["get", "cronjobs"],
            &[
                "NAME",
                "SCHEDULE",
                "TIMEZONE",
                "SUSPEND",
                "ACTIVE",
                "LAST SCHEDULE",
                "AGE",
            ],
        ),
        (&["get", "quota"], &["NAME", "AGE", "REQUEST", "LIMIT"]),
        (&["get", "limits"], &["NAME", "CREATED AT"]),
        (
            &["get", "pdb"],
            &[
                "NAME",
                "MIN AVAILABLE",
                "MAX UNAVAILABLE",
                "ALLOWED DISRUPTIONS",
                "AGE",
            ],
        ),
    ];
    for (args, want) in cases {
        let out = ok(&run(d, args).await, &args.join(" "));
        assert_eq!(header(&out), want, "{args:?}:\n{out}");
    }
    eventually("the job completes", || async {
        let o = run(d, &["get", "job", "once"]).await;
        String::from_utf8_lossy(&o.stdout)
            .contains("Complete")
            .then_some(())
    })
    .await;
    let quota = eventually("quota usage counts the pods", || async {
        let o = run(d, &["get", "quota", "team"]).await;
        let s = String::from_utf8_lossy(&o.stdout).into_owned();
        s.contains("limits.memory: 768Mi/2Gi").then_some(s)
    })
    .await;
    assert!(quota.contains("pods: 3/10"), "{quota}");

    for (what, want) in [
        ("sts/db", "create Pod db-0 in StatefulSet db successful"),
        ("ds/agent", "Desired Number of Nodes Scheduled: 1"),
        ("job/once", "1 Succeeded"),
        (
            "cronjob/nightly",
            "Schedule:                      0 3 * * *",
        ),
        ("quota/team", "limits.memory    768Mi  2Gi"),
        (
            "limits/mem",
            "Container   memory    -    1Gi  256Mi            256Mi",
        ),
        ("pdb/db", "Allowed disruptions:  1"),
    ] {
        let out = ok(&run(d, &["describe", what]).await, what);
        assert!(
            out.contains(want),
            "describe {what}: {want:?} missing from\n{out}"
        );
    }

    // The LimitRange default (256Mi) applies; 4Gi breaks its max first.
    let err = refused(
        &run(d, &["run", "big", "--image=registry.example/app:1", "--overrides",
            r#"{"spec":{"containers":[{"name":"big","image":"registry.example/app:1","resources":{"limits":{"memory":"4Gi"}}}]}}"#]).await,
        "run over the LimitRange max",
    );
    assert!(err.contains(r#"Error from server (Forbidden): pods "big" is forbidden: maximum memory usage per Container is 1Gi, but limit is 4Gi"#), "{err}");
    // Two containers at the 1Gi max: 2Gi more than the 768Mi in use breaks the 2Gi quota.
    let err = refused(
        &run(d, &["run", "wide", "--image=registry.example/app:1", "--overrides",
            r#"{"spec":{"containers":[{"name":"a","image":"registry.example/app:1","resources":{"limits":{"memory":"1Gi"}}},{"name":"b","image":"registry.example/app:1","resources":{"limits":{"memory":"1Gi"}}}]}}"#]).await,
        "run over the quota",
    );
    assert!(err.contains(r#"Error from server (Forbidden): pods "wide" is forbidden: exceeded quota: team, requested: limits.memory=2Gi,requests.memory=2Gi, used: limits.memory=768Mi,requests.memory=768Mi, limited: limits.memory=2Gi,requests.memory=2Gi"#), "{err}");

    ok(
        &run(d, &["scale", "sts", "db", "--replicas=1"]).await,
        "scale sts",
    );
    eventually("db-1 removed", || async {
        let o = run(d, &["get", "pods", "-l", "app=db", "-o", "name"]).await;
        (String::from_utf8_lossy(&o.stdout).trim() == "pod/db-0").then_some(())
    })
    .await;

    let out = ok(&run(d, &["delete", "-f", f]).await, "delete");
    assert!(out.contains("statefulset.apps \"db\" deleted"), "{out}");
    assert!(out.contains("cronjob.batch \"nightly\" deleted"), "{out}");
    eventually("dependents garbage-collected", || async {
        let o = run(d, &["get", "pods", "-o", "name"]).await;
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .is_empty()
            .then_some(())
    })
    .await;
}
