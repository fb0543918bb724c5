package sqlite

import (
	"context"
	"fmt"
)

// migrations are applied in order; the database records how many it has applied. A released
// migration is never edited: a change to the schema is a new entry.
var migrations = []string{
	`CREATE TABLE children (
		id             TEXT PRIMARY KEY,
		status         TEXT NOT NULL,
		responsible_la TEXT NOT NULL,
		date_of_birth  TEXT,
		doc            TEXT NOT NULL
	);
	CREATE INDEX children_date_of_birth ON children(date_of_birth);
	CREATE INDEX children_responsible_la ON children(responsible_la);
	CREATE TABLE child_identifiers (
		child_id TEXT NOT NULL REFERENCES children(id),
		system   TEXT NOT NULL,
		value    TEXT NOT NULL
	);
	CREATE INDEX child_identifiers_value ON child_identifiers(system, value);
	CREATE INDEX child_identifiers_child ON child_identifiers(child_id);
	CREATE TABLE involvements (
		id         TEXT PRIMARY KEY,
		child_id   TEXT NOT NULL REFERENCES children(id),
		start_date TEXT NOT NULL,
		doc        TEXT NOT NULL
	);
	CREATE INDEX involvements_child ON involvements(child_id);
	CREATE TABLE indicators (
		id         TEXT PRIMARY KEY,
		child_id   TEXT NOT NULL REFERENCES children(id),
		start_date TEXT NOT NULL,
		doc        TEXT NOT NULL
	);
	CREATE INDEX indicators_child ON indicators(child_id);
	CREATE TABLE consents (
		id          TEXT PRIMARY KEY,
		child_id    TEXT NOT NULL REFERENCES children(id),
		recorded_at TEXT NOT NULL,
		doc         TEXT NOT NULL
	);
	CREATE INDEX consents_child ON consents(child_id);
	CREATE TABLE audit_events (
		seq        INTEGER PRIMARY KEY,
		action     TEXT NOT NULL,
		outcome    TEXT NOT NULL,
		purpose    TEXT NOT NULL,
		actor_role TEXT NOT NULL,
		actor_la   TEXT NOT NULL,
		hash       TEXT NOT NULL,
		doc        TEXT NOT NULL
	);
	CREATE INDEX audit_events_actor_la ON audit_events(actor_la);
	CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
		BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
	CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
		BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
	CREATE TABLE audit_children (
		child_id TEXT NOT NULL,
		seq      INTEGER NOT NULL REFERENCES audit_events(seq),
		PRIMARY KEY (child_id, seq)
	) WITHOUT ROWID;
	CREATE INDEX audit_children_seq ON audit_children(seq);
	CREATE TRIGGER audit_children_no_update BEFORE UPDATE ON audit_children
		BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
	CREATE TRIGGER audit_children_no_delete BEFORE DELETE ON audit_children
		BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
	CREATE TABLE notifications (
		event_id   TEXT PRIMARY KEY,
		child_id   TEXT NOT NULL,
		seq        INTEGER NOT NULL,
		dedupe_key TEXT UNIQUE,
		doc        TEXT NOT NULL,
		UNIQUE (child_id, seq)
	);
	CREATE TABLE idempotency (
		org  TEXT NOT NULL,
		key  TEXT NOT NULL,
		doc  TEXT NOT NULL,
		PRIMARY KEY (org, key)
	) WITHOUT ROWID;`,
	`CREATE TABLE transfers (
		id        TEXT PRIMARY KEY,
		child_id  TEXT NOT NULL,
		state     TEXT NOT NULL,
		doc       TEXT NOT NULL
	);
	CREATE INDEX transfers_child ON transfers(child_id, state);
	CREATE TABLE subscriptions (
		id      TEXT PRIMARY KEY,
		la      TEXT NOT NULL,
		org     TEXT NOT NULL,
		council INTEGER NOT NULL,
		doc     TEXT NOT NULL
	);
	CREATE INDEX subscriptions_la ON subscriptions(la);
	CREATE INDEX subscriptions_org ON subscriptions(org);
	CREATE TABLE deliveries (
		id     TEXT PRIMARY KEY,
		ref    TEXT NOT NULL,
		state  TEXT NOT NULL,
		due_at TEXT NOT NULL,
		doc    TEXT NOT NULL
	);
	CREATE INDEX deliveries_due ON deliveries(state, due_at);
	CREATE INDEX deliveries_ref ON deliveries(ref, state);`,
}

// migrate brings the schema up to date in one write transaction.
func (s *Store) migrate(ctx context.Context) error {
	sqlTx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}
	defer func() { _ = sqlTx.Rollback() }()
	if _, err := sqlTx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}
	var applied int
	err = sqlTx.QueryRowContext(ctx, `SELECT COALESCE(MAX(applied), 0) FROM schema_migrations`).Scan(&applied)
	if err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}
	if applied > len(migrations) {
		return fmt.Errorf("migrate store: the database has schema %d, newer than this program's %d", applied, len(migrations))
	}
	for i := applied; i < len(migrations); i++ {
		if _, err := sqlTx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migrate store to schema %d: %w", i+1, err)
		}
		if _, err := sqlTx.ExecContext(ctx, `INSERT INTO schema_migrations (applied) VALUES (?)`, i+1); err != nil {
			return fmt.Errorf("migrate store to schema %d: %w", i+1, err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}
	return nil
}
