//! Durability: SIGTERM, slow clients, `kill -9` under load, two servers on PostgreSQL.

use super::*;

/// On SIGTERM the server stops accepting connections, finishes the request in flight (here
/// a POST whose body is still arriving), and exits cleanly; the comment is stored.
#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_then_exits() {
    let dir = tempfile::tempdir().unwrap();
    let mut server =
        Server::start_with(free_port(), dir.path().join("db"), root().join("www"), &[]);
    let body =
        json!({"page": "/a", "comment": "Dernier", "author": "Zoé", "email": "z@example.org"})
            .to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        stream,
        "POST /api/v1/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut process = server.process.take().unwrap();
    let pid = process.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(300));
    // No new connection is accepted…
    assert!(
        TcpStream::connect(("127.0.0.1", server.port)).is_err(),
        "still accepting after SIGTERM"
    );
    // …but the request in flight completes.
    stream.write_all(tail.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = process.try_wait() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the server did not exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    process.forget();
    assert_eq!(server.stored("Dernier").await, 1);
}

/// Slow clients are cut off: headers that trickle in close the connection, and a body
/// that trickles in is refused, so that neither holds the only permit for long.
#[tokio::test]
async fn slow_clients_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        free_port(),
        dir.path().join("db"),
        root().join("www"),
        &["--client-timeout", "1", "--max-in-flight", "1"],
    );
    let read_all = |mut stream: TcpStream| {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut response = Vec::new();
        let result = stream.read_to_end(&mut response);
        (
            result.is_ok(),
            String::from_utf8_lossy(&response).into_owned(),
        )
    };

    // Headers that never end.
    let start = Instant::now();
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    let (closed, _) = read_all(slow);
    assert!(
        closed,
        "the server kept a connection whose headers never ended"
    );
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );

    // A body that never ends.
    let start = Instant::now();
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    slow.write_all(b"POST /api/v1/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"page\":").unwrap();
    let (closed, response) = read_all(slow);
    assert!(closed);
    assert!(response.starts_with("HTTP/1.1 4"), "{response}");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );

    // The permit is free again.
    assert!(
        server
            .get("/api/v1/comments?page=/a")
            .contains("\"comments\":[]")
    );
}

/// Crash test on SQLite: every comment that got a 201 is in the database after the
/// restarts, exactly once, and the database is intact.
#[tokio::test]
async fn acknowledged_comments_survive_kill_9_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let acknowledged = kill_9_under_load(&mut server);
    let mut db = server.db().await;
    let stored: Vec<(String, Option<i64>, String)> =
        sqlx::query_as("SELECT text, thread, avatar FROM comments")
            .fetch_all(&mut db)
            .await
            .unwrap();
    check_after_crashes(&acknowledged, &stored);
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
}

/// The same crash test on PostgreSQL.
#[tokio::test]
async fn acknowledged_comments_survive_kill_9_under_load_on_postgres() {
    let url = postgres::fresh_database().await;
    let mut server = Server::start_on_postgres(&url, &[]);
    let acknowledged = kill_9_under_load(&mut server);
    let stored: Vec<(String, Option<i64>, String)> =
        sqlx::query_as("SELECT text, thread, avatar FROM comments")
            .fetch_all(&mut postgres::connect(&url).await)
            .await
            .unwrap();
    check_after_crashes(&acknowledged, &stored);
}

/// Two server processes on one PostgreSQL: comments posted through either show through
/// both; the per-address rate limit and the idempotency keys hold across them; and
/// neither keeps state of its own that the other would miss.
#[tokio::test(flavor = "multi_thread")]
async fn two_servers_share_one_postgres() {
    let url = postgres::fresh_database().await;
    // Both start at once, and so migrate at once: the migrator's lock lets one do it.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start_on_postgres(&url, &["--max-posts-per-ip", "30"]));
        let b = s.spawn(|| Server::start_on_postgres(&url, &["--max-posts-per-ip", "30"]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let body = |text: &str| {
        json!({"page": "/two", "comment": text, "author": "D", "email": "d@example.org"})
            .to_string()
    };
    // Posted through both, concurrently.
    let statuses: Vec<Option<u16>> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..10)
            .map(|i| {
                let port = if i % 2 == 0 { a.port } else { b.port };
                let body = body(&format!("à travers deux serveurs {i}"));
                s.spawn(move || try_post(port, &body))
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == Some(201)), "{statuses:?}");
    for server in [&a, &b] {
        let thread = server.get("/api/v1/comments?page=/two");
        for i in 0..10 {
            assert!(
                thread.contains(&format!("à travers deux serveurs {i}")),
                "{thread}"
            );
        }
    }

    // The same key through both: one comment, and the second answer is the first one's.
    let first = post_with_key(a.port, &body("une clé, deux serveurs"), "key-shared-1");
    let second = post_with_key(b.port, &body("une clé, deux serveurs"), "key-shared-1");
    assert_eq!(first, Some((201, false)));
    assert_eq!(second, Some((201, true)));
    // And at once, many times over: never two comments for one key; a request that
    // meets its twin in flight gets 409 and may retry.
    let outcomes: Vec<Option<(u16, bool)>> = std::thread::scope(|s| {
        let racers: Vec<_> = (0..20)
            .map(|i| {
                let port = if i % 2 == 0 { a.port } else { b.port };
                let body = body(&format!("course {}", i / 2));
                let key = format!("key-race-{}", i / 2);
                s.spawn(move || post_with_key(port, &body, &key))
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for outcome in &outcomes {
        assert!(
            matches!(outcome, Some((201, _)) | Some((409, false))),
            "{outcomes:?}"
        );
    }
    let mut db = postgres::connect(&url).await;
    for i in 0..10 {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM comments WHERE text = $1")
            .bind(format!("course {i}"))
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!(count, 1, "course {i}");
    }

    // The rate limit counts the comments of both servers: 30 in all from this address.
    let posted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM comments")
        .fetch_one(&mut db)
        .await
        .unwrap();
    let room = 30 - posted;
    let mut accepted = 0;
    for i in 0..room + 2 {
        let port = if i % 2 == 0 { a.port } else { b.port };
        match try_post(port, &body(&format!("quota {i}"))) {
            Some(201) => accepted += 1,
            Some(429) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(accepted, room, "the limit holds across both servers");
}

/// An import killed with `kill -9` in the middle, then run again, ends with every
/// comment there exactly once: each batch is one transaction, and each comment is found
/// again by its source and its id there. The file is a WordPress export (replies at
/// every depth, some before their parent, orphans, pingbacks, trash), large enough that
/// the kill comes while the indexes are deferred; the result is compared, comment by
/// comment and parent by parent, with the same file imported without a kill.
#[tokio::test]
async fn an_import_killed_mid_way_then_run_again_has_every_comment_once() {
    const COMMENTS: usize = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.xml");
    causerie_testkit::wordpress::generate(&file, COMMENTS, 200).unwrap();
    let database = format!("sqlite://{}/db/causerie.db", dir.path().display());
    let whole = format!("sqlite://{}/whole/causerie.db", dir.path().display());
    let import = |database: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_causerie-server"));
        command
            .args(["--database", database, "import"])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    // Every comment by its id in the file, with its parent's.
    let tree = |database: String| async move {
        let db = sqlx::SqlitePool::connect(&database).await.unwrap();
        let rows: Vec<(String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT c.source_id, p.source_id, c.page, c.status FROM comments c
             LEFT JOIN comments p ON p.id = c.parent ORDER BY c.source_id",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        db.close().await;
        rows
    };
    let uninterrupted = import(&whole).output().unwrap();
    assert!(uninterrupted.status.success(), "{uninterrupted:?}");
    let expected = tree(whole.clone()).await;
    assert!(expected.len() > COMMENTS / 2, "{}", expected.len());

    // The database exists, as a running server's would.
    let store = causerie_server::Store::open(&database).await.unwrap();
    let mut first = Group::spawn(&mut import(&database)).unwrap();
    // Killed once some batches are in, and before the last.
    let start = Instant::now();
    let at_kill = loop {
        let stored = store.count_all().await.unwrap_or(0);
        if stored > 0 {
            first.kill();
            break store.count_all().await.unwrap();
        }
        if let Some(status) = first.try_wait() {
            let mut said = String::new();
            let _ = first
                .child()
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut said);
            panic!("the import ended ({status}) before it was killed: {said}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "nothing imported"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    assert!(
        at_kill > 0 && (at_kill as usize) < expected.len(),
        "killed mid-way: {at_kill} of {}",
        expected.len()
    );
    // A file this large is written without the server's indexes: the kill left them
    // dropped, with their definitions kept.
    let indexes = || async {
        let db = sqlx::SqlitePool::connect(&database).await.unwrap();
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'comments'
             AND sql IS NOT NULL ORDER BY name",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        let deferred: Vec<String> =
            sqlx::query_scalar("SELECT name FROM settings WHERE name LIKE 'deferred_index:%'")
                .fetch_all(&db)
                .await
                .unwrap();
        db.close().await;
        (names, deferred)
    };
    let (_, deferred) = indexes().await;
    assert!(
        !deferred.is_empty(),
        "the kill came while the indexes were deferred"
    );

    let again = import(&database).output().unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(
        said.contains(&format!("{} there already", at_kill)),
        "what was there is not imported again: {said}"
    );
    assert_eq!(
        store.count_all().await.unwrap(),
        expected.len() as i64,
        "{said}"
    );
    store.close().await;
    assert!(
        tree(database.clone()).await == expected,
        "the same comments, pages, statuses and parents as an import without a kill"
    );
    let (names, deferred) = indexes().await;
    assert_eq!(
        names,
        [
            "comments_by_duplicate_key",
            "comments_by_ip",
            "comments_by_page",
            "comments_by_source",
            "comments_by_status",
            "comments_by_thread",
        ],
        "every index is back"
    );
    assert!(deferred.is_empty(), "{deferred:?}");
}

/// Processes that open a new SQLite database at the same moment (a server starting as
/// an import does) migrate it in turn: every one of them opens it.
#[test]
fn processes_opening_a_new_sqlite_database_together_all_open_it() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/db/causerie.db", dir.path().display());
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_causerie-server"))
                .args(["--database", &database, "admin", "list"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let done = child.wait_with_output().unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
}
