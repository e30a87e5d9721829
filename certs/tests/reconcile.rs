//! `reconcile` against the simulated cluster with a real kube-rs client: the Secret and the
//! caBundle after each run, with an injected clock for the renewal steps; corrupt Secrets are
//! repaired; a missing MutatingWebhookConfiguration is a clear error.

mod common;

use std::time::{Duration, SystemTime};

use common::{ca_bundle_of, certs_client, sim_with_namespace, spec, with_configuration};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use rightsize_certs::material::parse_certs;
use rightsize_certs::{CertError, Plan, days, reconcile};

fn secret_data(s: &Secret, key: &str) -> Vec<u8> {
    s.data.as_ref().unwrap()[key].0.clone()
}

fn subjects(pem: &[u8]) -> Vec<String> {
    parse_certs(pem)
        .unwrap()
        .into_iter()
        .map(|c| c.subject)
        .collect()
}

#[tokio::test]
async fn first_run_creates_the_secret_and_patches_every_webhook_then_a_rerun_changes_nothing() {
    let (_sim, client, mwcs, secrets) = with_configuration(2).await;
    let now = SystemTime::now();

    let first = reconcile(&client, &spec(), now).await.unwrap();
    assert!(matches!(first.plan, Plan::Create { .. }), "{first:?}");
    assert!(first.secret_written && first.changed());
    assert_eq!(first.webhooks_patched, 2);
    let secret = secrets.get("rightsize-webhook-tls").await.unwrap();
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
    let ca = secret_data(&secret, "ca.crt");
    assert_eq!(ca, first.ca_bundle.as_bytes());
    let mwc = mwcs.get("rightsize").await.unwrap();
    assert_eq!(ca_bundle_of(&mwc), [ca.clone(), ca.clone()]);
    let leaf = &parse_certs(&secret_data(&secret, "tls.crt")).unwrap()[0];
    assert!(
        leaf.dns_names
            .contains(&"rightsize-webhook.rightsize-system.svc".to_string())
    );
    assert!(leaf.signed_by(&parse_certs(&ca).unwrap()[0]));

    let second = reconcile(&client, &spec(), now + Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(second.plan, Plan::Keep);
    assert!(!second.changed(), "{second}");
    let again = secrets.get("rightsize-webhook-tls").await.unwrap();
    assert_eq!(
        again.metadata.resource_version,
        secret.metadata.resource_version
    );
    assert_eq!(
        mwcs.get("rightsize")
            .await
            .unwrap()
            .metadata
            .resource_version,
        mwc.metadata.resource_version
    );
}

#[tokio::test]
async fn expiring_ca_goes_through_add_switch_drop_with_the_bundle_published_at_each_step() {
    let (_sim, client, mwcs, secrets) = with_configuration(1).await;
    let t0 = SystemTime::now();
    reconcile(&client, &spec(), t0).await.unwrap();
    let s0 = secrets.get("rightsize-webhook-tls").await.unwrap();
    let ca1 = subjects(&secret_data(&s0, "ca.crt"));
    let published = || async { ca_bundle_of(&mwcs.get("rightsize").await.unwrap())[0].clone() };

    // Scheduled runs have kept the serving certificate fresh (capped at the CA's end).
    let renewed = reconcile(&client, &spec(), t0 + days(5 * 365 - 60))
        .await
        .unwrap();
    assert!(
        matches!(renewed.plan, Plan::IssueServing { .. }),
        "{renewed:?}"
    );
    let s0 = secrets.get("rightsize-webhook-tls").await.unwrap();
    // The default CA lives five years: 20 days before its end the rotation starts.
    let t1 = t0 + days(5 * 365 - 20);
    let step1 = reconcile(&client, &spec(), t1).await.unwrap();
    assert_eq!(step1.plan, Plan::AddCa);
    let s1 = secrets.get("rightsize-webhook-tls").await.unwrap();
    let bundle1 = subjects(&published().await);
    assert_eq!(bundle1.len(), 2);
    assert_eq!(bundle1[0], ca1[0], "the old CA stays trusted");
    assert_eq!(
        secret_data(&s1, "tls.crt"),
        secret_data(&s0, "tls.crt"),
        "serving unchanged"
    );

    // Too early for the next step: nothing changes.
    let early = reconcile(&client, &spec(), t1 + Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        matches!(early.plan, Plan::Wait { .. }) && !early.changed(),
        "{early:?}"
    );

    let t2 = t1 + Duration::from_secs(15 * 60);
    let step2 = reconcile(&client, &spec(), t2).await.unwrap();
    assert_eq!(step2.plan, Plan::SwitchServing);
    assert_eq!(
        step2.webhooks_patched, 0,
        "the bundle was already published"
    );
    let s2 = secrets.get("rightsize-webhook-tls").await.unwrap();
    assert_eq!(subjects(&published().await), bundle1);
    let leaf2 = &parse_certs(&secret_data(&s2, "tls.crt")).unwrap()[0];
    let cas = parse_certs(&secret_data(&s2, "ca.crt")).unwrap();
    assert!(leaf2.signed_by(&cas[1]) && !leaf2.signed_by(&cas[0]));

    let t3 = t2 + Duration::from_secs(15 * 60);
    let step3 = reconcile(&client, &spec(), t3).await.unwrap();
    assert_eq!(step3.plan, Plan::DropOldCas);
    assert_eq!(subjects(&published().await), [bundle1[1].clone()]);
    let s3 = secrets.get("rightsize-webhook-tls").await.unwrap();
    assert_eq!(secret_data(&s3, "tls.crt"), secret_data(&s2, "tls.crt"));

    let rest = reconcile(&client, &spec(), t3 + days(1)).await.unwrap();
    assert!(!rest.changed(), "{rest}");
}

async fn put_secret(secrets: &Api<Secret>, mut s: Secret) {
    s.metadata.resource_version = None;
    s.metadata.uid = None;
    s.metadata.creation_timestamp = None;
    s.metadata.managed_fields = None;
    match secrets.get_opt("rightsize-webhook-tls").await.unwrap() {
        Some(old) => {
            s.metadata.resource_version = old.metadata.resource_version;
            secrets
                .replace("rightsize-webhook-tls", &PostParams::default(), &s)
                .await
                .unwrap();
        }
        None => {
            secrets.create(&PostParams::default(), &s).await.unwrap();
        }
    }
}

#[tokio::test]
async fn corrupt_secrets_are_repaired_not_panicked_on() {
    let (_sim, client, mwcs, secrets) = with_configuration(1).await;
    let now = SystemTime::now();
    reconcile(&client, &spec(), now).await.unwrap();
    let good = secrets.get("rightsize-webhook-tls").await.unwrap();

    // Bad PEM in ca.crt: a new CA, published.
    let mut bad = good.clone();
    bad.data.as_mut().unwrap().insert(
        "ca.crt".into(),
        ByteString(b"-----BEGIN CERTIFICATE-----\n!!\n".to_vec()),
    );
    put_secret(&secrets, bad).await;
    let out = reconcile(&client, &spec(), now).await.unwrap();
    assert!(
        matches!(&out.plan, Plan::Create { reason } if reason.contains("ca.crt")),
        "{out:?}"
    );
    let repaired = secrets.get("rightsize-webhook-tls").await.unwrap();
    assert_eq!(
        ca_bundle_of(&mwcs.get("rightsize").await.unwrap())[0],
        secret_data(&repaired, "ca.crt")
    );

    // A serving key that is not the certificate's: a new serving pair from the same CA.
    let other = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let mut mismatched = repaired.clone();
    mismatched
        .data
        .as_mut()
        .unwrap()
        .insert("tls.key".into(), ByteString(other.into_bytes()));
    put_secret(&secrets, mismatched).await;
    let out = reconcile(&client, &spec(), now).await.unwrap();
    assert_eq!(
        out.plan,
        Plan::IssueServing {
            reason: "tls.key does not match tls.crt".into()
        }
    );
    assert_eq!(out.webhooks_patched, 0);
    let fixed = secrets.get("rightsize-webhook-tls").await.unwrap();
    assert_eq!(
        secret_data(&fixed, "ca.crt"),
        secret_data(&repaired, "ca.crt")
    );

    // Wrong type (immutable): deleted and recreated as kubernetes.io/tls.
    secrets
        .delete("rightsize-webhook-tls", &Default::default())
        .await
        .unwrap();
    let mut opaque = fixed.clone();
    opaque.type_ = Some("Opaque".into());
    put_secret(&secrets, opaque).await;
    let out = reconcile(&client, &spec(), now).await.unwrap();
    assert!(
        matches!(&out.plan, Plan::Create { reason } if reason.contains("Opaque")),
        "{out:?}"
    );
    let recreated = secrets.get("rightsize-webhook-tls").await.unwrap();
    assert_eq!(recreated.type_.as_deref(), Some("kubernetes.io/tls"));
    assert_eq!(
        subjects(&secret_data(&recreated, "ca.crt")).len(),
        2,
        "old CA kept trusted"
    );
    assert!(!reconcile(&client, &spec(), now).await.unwrap().changed());
}

#[tokio::test]
async fn missing_webhook_configuration_is_a_clear_error_after_the_secret_is_written() {
    let (sim, _) = sim_with_namespace().await;
    let client = certs_client(&sim).await;
    let err = reconcile(&client, &spec(), SystemTime::now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CertError::MutatingWebhookConfigurationNotFound { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("MutatingWebhookConfiguration rightsize does not exist"),
        "{err}"
    );
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "rightsize-system");
    assert!(
        secrets
            .get_opt("rightsize-webhook-tls")
            .await
            .unwrap()
            .is_some()
    );
}
