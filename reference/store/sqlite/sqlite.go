// Package sqlite is the default store of the reference server: embedded SQLite through
// modernc.org/sqlite (no cgo).
//
// A file store runs in WAL mode with synchronous=FULL, so a committed Update survives a crash
// or power loss. All writes go through one connection (the single writer), so Updates are
// serialised; Views read from a small pool of query-only connections and never block the
// writer. The schema is migrated when the store is opened.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/icscert/icscert/reference/store"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Memory is the path that opens a private in-memory database, for tests.
const Memory = ":memory:"

// busyTimeoutMS is how long a connection waits for a lock before it reports SQLITE_BUSY.
const busyTimeoutMS = 10000

// Store is a store.Store backed by SQLite. It is safe for concurrent use. Close it once no
// View or Update is running.
type Store struct {
	writer *sql.DB
	reader *sql.DB // the same as writer for an in-memory store
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the SQLite database at path and migrates its schema. The
// path Memory (":memory:") opens a private in-memory database that lives until Close; it
// uses one connection for reads and writes. The caller closes the Store.
func Open(path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open store: invalid path %q", path)
	}
	if path == Memory {
		db, err := sql.Open("sqlite", Memory+"?_txlock=immediate&_foreign_keys=1")
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		s := &Store{writer: db, reader: db}
		if err := s.migrate(context.Background()); err != nil {
			_ = db.Close()
			return nil, err
		}
		return s, nil
	}
	pragmas := fmt.Sprintf("_busy_timeout=%d&_journal_mode=WAL&_synchronous=FULL&_foreign_keys=1", busyTimeoutMS)
	writer, err := sql.Open("sqlite", path+"?_txlock=immediate&"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	s := &Store{writer: writer}
	// The writer creates the file and switches it to WAL before any reader opens it.
	if err := s.migrate(context.Background()); err != nil {
		_ = writer.Close()
		return nil, err
	}
	reader, err := sql.Open("sqlite", path+"?_txlock=deferred&_query_only=1&"+pragmas)
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	reader.SetMaxOpenConns(4)
	reader.SetMaxIdleConns(4)
	s.reader = reader
	if err := reader.PingContext(context.Background()); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

// Close closes the database. Committed data is already durable.
func (s *Store) Close() error {
	var errs []error
	if s.reader != s.writer {
		errs = append(errs, s.reader.Close())
	}
	errs = append(errs, s.writer.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// View runs fn in a read-only transaction on a reader connection.
func (s *Store) View(ctx context.Context, fn func(tx store.Tx) error) error {
	return run(ctx, s.reader, fn)
}

// Update runs fn in a read-write transaction on the single writer connection and commits it
// when fn returns nil.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return run(ctx, s.writer, fn)
}

// run begins a transaction on db, runs fn and commits, rolling back on an error or a panic.
func run(ctx context.Context, db *sql.DB, fn func(tx store.Tx) error) error {
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(&tx{ctx: ctx, tx: sqlTx}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	committed = true
	return nil
}
