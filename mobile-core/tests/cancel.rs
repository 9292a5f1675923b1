//! An app stops a running sync: `CancelToken::cancel` from another thread makes `FieldStore::sync`
//! answer `CoreError::Cancelled` promptly, even while a request hangs on a server that never answers,
//! and nothing stored changes. A token cancelled before the call stops it before any request.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use mobile_core::CoreError;
use mobile_core::ffi::CancelToken;
use mobile_core::ffi::types::*;

fn store_with_a_sheet() -> TestStore {
    let t = open_store("foreman-li");
    import_reference(&t.store);
    let sheet = t.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    t.store.add_crew_line(sheet.info.id, line("木工", 6, "8", "47.50")).expect("line");
    t
}

/// A server that accepts connections, reads what it is sent and never answers. Counts connections.
fn silent_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    (url, accepted)
}

struct Rounds(std::sync::Mutex<Vec<u32>>);

impl ProgressListener for Rounds {
    fn on_progress(&self, done: u32, _total: u32, _item: String) -> Result<(), ProgressError> {
        self.0.lock().expect("lock").push(done);
        Ok(())
    }
}

#[test]
fn a_sync_hanging_on_a_silent_server_is_cancelled_promptly() {
    let t = store_with_a_sheet();
    let before = fingerprint(&t.path);
    let unsynced = t.store.unsynced().expect("unsynced");
    let (url, accepted) = silent_server();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");

    let cancel = Arc::new(CancelToken::new());
    assert!(!cancel.is_cancelled());
    let canceller = {
        let (cancel, accepted) = (cancel.clone(), accepted.clone());
        std::thread::spawn(move || {
            // Once the request is on the wire (the server holds the connection), cancel it.
            let deadline = Instant::now() + Duration::from_secs(30);
            while accepted.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(200));
            cancel.cancel();
            Instant::now()
        })
    };
    let listener = Arc::new(Rounds(Default::default()));
    let started = Instant::now();
    let r = rt.block_on(t.store.sync(
        url,
        "flt_token".into(),
        Some(listener.clone() as Arc<dyn ProgressListener>),
        Some(cancel.clone()),
    ));
    let answered = Instant::now();
    let cancelled_at = canceller.join().expect("canceller");
    assert!(matches!(r, Err(CoreError::Cancelled)), "expected Cancelled, got {r:?}");
    assert!(accepted.load(Ordering::SeqCst) >= 1, "the sync never reached the server");
    assert!(cancel.is_cancelled());
    // Promptly: far below the sync request's 120 s timeout.
    let lag = answered.saturating_duration_since(cancelled_at);
    assert!(lag < Duration::from_secs(5), "the sync answered {lag:?} after cancel()");
    assert!(started.elapsed() < Duration::from_secs(40), "took {:?}", started.elapsed());
    assert!(listener.0.lock().expect("lock").is_empty(), "no round completed");
    // Nothing stored changed: same rows, same media, still unsynced.
    assert_eq!(fingerprint(&t.path), before, "a cancelled sync changed the store");
    assert_eq!(t.store.unsynced().expect("unsynced"), unsynced);

    // The store works on, and the token stays cancelled: a sync with it stops before any request.
    let seen = accepted.load(Ordering::SeqCst);
    let (url2, accepted2) = silent_server();
    let r = rt.block_on(t.store.sync(url2, "flt_token".into(), None, Some(cancel)));
    assert!(matches!(r, Err(CoreError::Cancelled)), "{r:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(accepted2.load(Ordering::SeqCst), 0, "a cancelled token still connected");
    assert_eq!(accepted.load(Ordering::SeqCst), seen);
    assert_eq!(fingerprint(&t.path), before);
}

#[test]
fn cancelling_attach_photos_keeps_the_photos_before() {
    let t = store_with_a_sheet();
    let e = t.store.create_expense(place(), expense("35")).expect("expense");
    let paths: Vec<String> = (0..3)
        .map(|i| {
            let p = t.dir.path().join(format!("receipt-{i}.jpg"));
            write_jpeg(&p, 320 + i, 240);
            p.display().to_string()
        })
        .collect();
    // The app cancels when it hears the first photo is done.
    struct CancelAfterFirst(Arc<CancelToken>);
    impl ProgressListener for CancelAfterFirst {
        fn on_progress(&self, done: u32, _total: u32, _item: String) -> Result<(), ProgressError> {
            if done == 1 {
                self.0.cancel();
            }
            Ok(())
        }
    }
    let cancel = Arc::new(CancelToken::new());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let r = rt.block_on(t.store.attach_photos(
        e.info.id.clone(),
        paths.clone(),
        Arc::new(CancelAfterFirst(cancel.clone())),
        Some(cancel),
    ));
    assert!(matches!(r, Err(CoreError::Cancelled)), "{r:?}");
    let kept = t.store.get_expense(e.info.id.clone()).expect("expense");
    assert_eq!(kept.receipts.len(), 1, "the first photo stays attached, the rest were not");
    assert_eq!(t.store.pending_uploads().expect("pending").len(), 1);

    // A listener that throws stops it the same way, with its own error.
    struct Fails;
    impl ProgressListener for Fails {
        fn on_progress(&self, _done: u32, _total: u32, item: String) -> Result<(), ProgressError> {
            Err(ProgressError::Failed { reason: format!("the screen closed after {item}") })
        }
    }
    let r = rt.block_on(t.store.attach_photos(e.info.id.clone(), paths[1..].to_vec(), Arc::new(Fails), None));
    match r {
        Err(CoreError::ListenerFailed { reason }) => assert!(reason.contains("the screen closed"), "{reason}"),
        other => panic!("expected ListenerFailed, got {other:?}"),
    }
    let kept = t.store.get_expense(e.info.id).expect("expense");
    assert_eq!(kept.receipts.len(), 2, "the photo attached before the listener failed stays");
}
