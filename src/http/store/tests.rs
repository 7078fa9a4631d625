use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh SQLite store in its own directory under the system's temp dir.
async fn sqlite(tweak: impl FnOnce(&mut StoreConfig)) -> Store {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "upcheck-store-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut cfg = StoreConfig::at(StoreConfig::sqlite_url(dir.to_str().unwrap()));
    tweak(&mut cfg);
    Store::open(cfg).await.expect("the store opens")
}

fn report(bytes: usize) -> Entry {
    Entry {
        verdict: "fail".into(),
        tool: "upcheck test".into(),
        request_type: "application/json".into(),
        request: vec![b'{'; bytes],
        report: br#"{"verdict":"fail"}"#.to_vec(),
        diagram: b"<svg/>".to_vec(),
    }
}

#[tokio::test]
async fn a_report_round_trips_and_is_gone_once_deleted() {
    let store = sqlite(|_| {}).await;
    let id = ReportId::random().unwrap();
    let expires = store.put(&id, &report(10)).await.unwrap();
    let got = store.get(&id).await.unwrap().expect("stored");
    assert_eq!(got.expires_at, expires);
    assert_eq!(got.expires_at - got.created_at, 30 * 24 * 3600);
    assert_eq!(got.entry.request, vec![b'{'; 10]);
    assert_eq!(got.entry.report, br#"{"verdict":"fail"}"#);
    assert_eq!(got.entry.diagram, b"<svg/>");
    assert_eq!(got.entry.verdict, "fail");
    assert_eq!(store.usage().await.unwrap(), 10 + 18 + 6);
    assert!(store.delete(&id).await.unwrap());
    assert_eq!(store.get(&id).await.unwrap(), None);
    assert!(!store.delete(&id).await.unwrap(), "already gone");
    assert_eq!(store.usage().await.unwrap(), 0, "the bytes are given back");
}

#[tokio::test]
async fn an_expired_report_is_not_answered_and_the_sweep_frees_its_bytes() {
    let store = sqlite(|c| c.ttl = Duration::ZERO).await;
    let id = ReportId::random().unwrap();
    store.put(&id, &report(100)).await.unwrap();
    assert_eq!(store.get(&id).await.unwrap(), None);
    assert!(store.usage().await.unwrap() > 0);
    assert_eq!(store.sweep().await.unwrap(), 1);
    assert_eq!(store.usage().await.unwrap(), 0);
}

#[tokio::test]
async fn the_per_report_and_total_caps_refuse_with_their_numbers() {
    let store = sqlite(|c| {
        c.max_report_bytes = 1000;
        c.max_total_bytes = 1500;
    })
    .await;
    let big = store.put(&ReportId::random().unwrap(), &report(2000)).await;
    assert!(
        matches!(
            big,
            Err(StoreError::ReportTooLarge {
                size: 2024,
                limit: 1000
            })
        ),
        "{big:?}"
    );
    store
        .put(&ReportId::random().unwrap(), &report(900))
        .await
        .unwrap();
    let full = store.put(&ReportId::random().unwrap(), &report(900)).await;
    assert!(
        matches!(full, Err(StoreError::Full { limit: 1500 })),
        "{full:?}"
    );
    assert_eq!(
        store.usage().await.unwrap(),
        924,
        "a refused report holds nothing"
    );
}

#[tokio::test]
async fn a_full_store_makes_room_by_sweeping_what_expired() {
    let store = sqlite(|c| {
        c.ttl = Duration::ZERO;
        c.max_total_bytes = 1000;
    })
    .await;
    for _ in 0..3 {
        // Each one expires at once; without the sweep the second would not fit.
        store
            .put(&ReportId::random().unwrap(), &report(900))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_reopened_store_keeps_its_reports_and_migrates_once() {
    let dir = std::env::temp_dir().join(format!("upcheck-store-reopen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = StoreConfig::sqlite_url(dir.to_str().unwrap());
    let id = ReportId::random().unwrap();
    Store::open(StoreConfig::at(url.clone()))
        .await
        .unwrap()
        .put(&id, &report(1))
        .await
        .unwrap();
    let again = Store::open(StoreConfig::at(url)).await.unwrap();
    assert!(again.get(&id).await.unwrap().is_some());
    assert!(
        dir.join("reports.db-wal").exists(),
        "SQLite runs in write-ahead-log mode"
    );
}

#[test]
fn ids_are_128_random_bits_and_nothing_else_parses() {
    let a = ReportId::random().unwrap();
    let b = ReportId::random().unwrap();
    assert_ne!(a, b);
    assert_eq!(a.as_str().len(), 32);
    assert_eq!(ReportId::parse(a.as_str()), Some(a.clone()));
    assert_eq!(a.path(), format!("/reports/{a}"));
    for bad in [
        "",
        "../etc",
        &a.as_str().to_uppercase(),
        &a.as_str()[1..],
        "g".repeat(32).as_str(),
    ] {
        assert_eq!(ReportId::parse(bad), None, "{bad}");
    }
}

#[test]
fn urls_name_their_backend_and_passwords_stay_out_of_messages() {
    assert_eq!(
        Backend::of("sqlite:///var/lib/upcheck/reports.db"),
        Some(Backend::Sqlite)
    );
    assert_eq!(
        Backend::of("postgres://u:p@db/upcheck"),
        Some(Backend::Postgres)
    );
    assert_eq!(
        Backend::of("postgresql://db/upcheck"),
        Some(Backend::Postgres)
    );
    assert_eq!(Backend::of("mysql://db/upcheck"), None);
    assert_eq!(
        redact("postgres://u:s3cret@db:5432/upcheck"),
        "postgres://u:***@db:5432/upcheck"
    );
    assert_eq!(redact("postgres://u@db/upcheck"), "postgres://u@db/upcheck");
    assert_eq!(
        StoreConfig::sqlite_url("/data/"),
        "sqlite:///data/reports.db?mode=rwc"
    );
}

#[tokio::test]
async fn an_unknown_scheme_is_refused_without_its_password() {
    let e = Store::open(StoreConfig::at("mysql://u:s3cret@db/x"))
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("mysql://u:***@db/x"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
}
