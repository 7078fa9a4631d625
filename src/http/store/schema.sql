-- Stored reports (`POST /validate?store=true`), for SQLite and PostgreSQL. `BYTES` is
-- each database's byte-string type (BLOB / BYTEA), put in by `Backend::schema`;
-- sqlx's Any driver reads both as Vec<u8>.
CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    verdict TEXT NOT NULL,
    tool TEXT NOT NULL,
    request_type TEXT NOT NULL,
    request BYTES NOT NULL,
    report BYTES NOT NULL,
    diagram BYTES NOT NULL,
    size BIGINT NOT NULL
);
CREATE INDEX reports_expires_at ON reports (expires_at);
-- One row: the bytes held by live reports, checked against the total cap in
-- the transaction that stores a report, so replicas sharing a database share the cap.
CREATE TABLE report_usage (
    id INTEGER PRIMARY KEY,
    bytes BIGINT NOT NULL
);
INSERT INTO report_usage (id, bytes) VALUES (1, 0);
