// Package store keeps the certification registry's history: submissions of certificates,
// council deployments, pair results and deployment checks. History is append-only: the store has no update or
// delete path, and the database refuses both (triggers on SQLite and on PostgreSQL), so a
// record once written stays as it was.
//
// Two back ends share one implementation over database/sql: embedded SQLite
// (modernc.org/sqlite, the default) and PostgreSQL through pgx (OpenPostgres). A Store is safe
// for concurrent use; the caller closes it.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

// ErrNotFound is returned for a record id that does not exist.
var ErrNotFound = errors.New("not found")

// Check is the result of one automatic check of a submission.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

// Submission is one certificate submitted by a supplier, with the result of every check.
type Submission struct {
	ID                 int64     `json:"id"`
	ReceivedAt         time.Time `json:"receivedAt"`
	Supplier           string    `json:"supplier"`
	Product            string    `json:"product"`
	Version            string    `json:"version"`
	Status             string    `json:"status"` // certified, not-conformant or rejected
	Checks             []Check   `json:"checks"`
	Verdict            string    `json:"verdict,omitempty"`
	FailedRequirements []string  `json:"failedRequirements"`
	SuiteDigest        string    `json:"suiteDigest,omitempty"`
	IssuedAt           time.Time `json:"issuedAt,omitzero"`
	Expires            time.Time `json:"expires,omitzero"`
	KeyID              string    `json:"keyId,omitempty"`
	// Bundle is the submitted envelope, byte for byte.
	Bundle json.RawMessage `json:"bundle,omitempty"`
}

// Deployment is a council's declaration that it runs a product version at a base URL;
// Withdrawn declares that it no longer does. The latest declaration per council and product
// is the current one.
type Deployment struct {
	ID         int64     `json:"id"`
	DeclaredAt time.Time `json:"declaredAt"`
	Council    string    `json:"council"`
	Product    string    `json:"product"`
	Version    string    `json:"version"`
	BaseURL    string    `json:"baseUrl"`
	Withdrawn  bool      `json:"withdrawn,omitempty"`
	DeclaredBy string    `json:"declaredBy"`
}

// Pair is the result of the interoperability suite between a sender and a receiver product
// version.
type Pair struct {
	ID                 int64     `json:"id"`
	ReceivedAt         time.Time `json:"receivedAt"`
	SenderProduct      string    `json:"senderProduct"`
	SenderVersion      string    `json:"senderVersion"`
	ReceiverProduct    string    `json:"receiverProduct"`
	ReceiverVersion    string    `json:"receiverVersion"`
	Verdict            string    `json:"verdict"` // PASS or FAIL
	FailedRequirements []string  `json:"failedRequirements"`
	AtFault            string    `json:"atFault,omitempty"` // sender, receiver, both or ""
	SubmittedBy        string    `json:"submittedBy"`
}

// DeploymentCheck is the result of the short deployment check run by the department against a
// council's own endpoint for the product version it runs: reachable, trusts the national keys,
// /v1/meta version, directory entry, one transfer with a peer. Failed lists each failed check
// with its reason; it is empty when the verdict is PASS.
type DeploymentCheck struct {
	ID         int64         `json:"id"`
	RecordedAt time.Time     `json:"recordedAt"`
	Council    string        `json:"council"`
	Product    string        `json:"product"`
	Version    string        `json:"version"`
	Verdict    string        `json:"verdict"` // PASS or FAIL
	Failed     []FailedCheck `json:"failed"`
	RecordedBy string        `json:"recordedBy"`
}

// FailedCheck is one failed check of a deployment check and why it failed.
type FailedCheck struct {
	Check  string `json:"check"`
	Reason string `json:"reason"`
}

// Store is the registry's history.
type Store struct {
	db       *sql.DB
	postgres bool
}

// tables lists each table and the columns indexed beside the JSON document.
var tables = []struct{ name, cols string }{
	{"submissions", "product TEXT NOT NULL, version TEXT NOT NULL"},
	{"deployments", "council TEXT NOT NULL, product TEXT NOT NULL"},
	{"pairs", "sender TEXT NOT NULL, receiver TEXT NOT NULL"},
	{"deployment_checks", "council TEXT NOT NULL, product TEXT NOT NULL"},
}

// OpenSQLite opens (creating if needed) the SQLite database at path; ":memory:" keeps it in
// memory.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, fmt.Errorf("open registry store: %w", err)
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1) // one connection, one in-memory database
	}
	s := &Store{db: db}
	var ddl []string
	for _, t := range tables {
		ddl = append(ddl,
			fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (id INTEGER PRIMARY KEY AUTOINCREMENT, %s, doc TEXT NOT NULL)`, t.name, t.cols),
			fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %[1]s_no_update BEFORE UPDATE ON %[1]s BEGIN SELECT RAISE(ABORT, 'registry history is append-only'); END`, t.name),
			fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %[1]s_no_delete BEFORE DELETE ON %[1]s BEGIN SELECT RAISE(ABORT, 'registry history is append-only'); END`, t.name))
	}
	return s.migrate(ctx, ddl)
}

// OpenPostgres connects to the PostgreSQL database at dsn (a pgx connection string, e.g.
// postgres://user:pass@host:5432/db?sslmode=disable) and creates the tables and triggers it
// lacks.
func OpenPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open registry store: %w", err)
	}
	s := &Store{db: db, postgres: true}
	ddl := []string{`CREATE OR REPLACE FUNCTION registry_append_only() RETURNS trigger AS $$
		BEGIN RAISE EXCEPTION 'registry history is append-only'; END $$ LANGUAGE plpgsql`}
	for _, t := range tables {
		ddl = append(ddl,
			fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (id BIGSERIAL PRIMARY KEY, %s, doc TEXT NOT NULL)`, t.name, t.cols),
			fmt.Sprintf(`CREATE OR REPLACE TRIGGER %[1]s_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %[1]s
				FOR EACH STATEMENT EXECUTE FUNCTION registry_append_only()`, t.name))
	}
	return s.migrate(ctx, ddl)
}

func (s *Store) migrate(ctx context.Context, ddl []string) (*Store, error) {
	for _, q := range ddl {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			_ = s.db.Close()
			return nil, fmt.Errorf("open registry store: create schema: %w", err)
		}
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// q rewrites ? placeholders as $n for PostgreSQL.
func (s *Store) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// insert appends a row and returns its id.
func (s *Store) insert(ctx context.Context, table, cols string, doc any, keys ...any) (int64, error) {
	data, err := json.Marshal(doc)
	if err != nil {
		return 0, fmt.Errorf("store %s: %w", table, err)
	}
	args := append(keys, string(data))
	var id int64
	query := fmt.Sprintf("INSERT INTO %s (%s, doc) VALUES (%s?) RETURNING id", table, cols, strings.Repeat("?, ", len(keys)))
	if err := s.db.QueryRowContext(ctx, s.q(query), args...).Scan(&id); err != nil {
		return 0, fmt.Errorf("store %s: %w", table, err)
	}
	return id, nil
}

// list reads the documents of table matching where (with args), oldest first, setting each
// record's id through setID.
func list[T any](ctx context.Context, s *Store, table, where string, args []any, setID func(*T, int64)) ([]T, error) {
	query := "SELECT id, doc FROM " + table
	if where != "" {
		query += " WHERE " + where
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+" ORDER BY id"), args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var (
			id  int64
			doc string
			v   T
		)
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return nil, fmt.Errorf("read %s %d: %w", table, id, err)
		}
		setID(&v, id)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	return out, nil
}

// AddSubmission appends sub (its ID is ignored) and returns the new id.
func (s *Store) AddSubmission(ctx context.Context, sub Submission) (int64, error) {
	sub.ID = 0
	return s.insert(ctx, "submissions", "product, version", sub, sub.Product, sub.Version)
}

// Submissions returns the submissions for product (and version, if not ""), oldest first.
func (s *Store) Submissions(ctx context.Context, product, version string) ([]Submission, error) {
	where, args := "product = ?", []any{product}
	if version != "" {
		where, args = where+" AND version = ?", append(args, version)
	}
	if product == "" {
		where, args = "", nil
	}
	return list(ctx, s, "submissions", where, args, func(v *Submission, id int64) { v.ID = id })
}

// Submission returns the submission with the given id, or ErrNotFound.
func (s *Store) Submission(ctx context.Context, id int64) (Submission, error) {
	out, err := list(ctx, s, "submissions", "id = ?", []any{id}, func(v *Submission, id int64) { v.ID = id })
	if err != nil {
		return Submission{}, err
	}
	if len(out) == 0 {
		return Submission{}, fmt.Errorf("submission %d: %w", id, ErrNotFound)
	}
	return out[0], nil
}

// AddDeployment appends d and returns the new id.
func (s *Store) AddDeployment(ctx context.Context, d Deployment) (int64, error) {
	d.ID = 0
	return s.insert(ctx, "deployments", "council, product", d, d.Council, d.Product)
}

// Deployments returns every deployment declaration, oldest first.
func (s *Store) Deployments(ctx context.Context) ([]Deployment, error) {
	return list(ctx, s, "deployments", "", nil, func(v *Deployment, id int64) { v.ID = id })
}

// AddPair appends p and returns the new id.
func (s *Store) AddPair(ctx context.Context, p Pair) (int64, error) {
	p.ID = 0
	return s.insert(ctx, "pairs", "sender, receiver", p, p.SenderProduct+"@"+p.SenderVersion, p.ReceiverProduct+"@"+p.ReceiverVersion)
}

// Pairs returns every pair result, oldest first.
func (s *Store) Pairs(ctx context.Context) ([]Pair, error) {
	return list(ctx, s, "pairs", "", nil, func(v *Pair, id int64) { v.ID = id })
}

// AddDeploymentCheck appends c and returns the new id.
func (s *Store) AddDeploymentCheck(ctx context.Context, c DeploymentCheck) (int64, error) {
	c.ID = 0
	return s.insert(ctx, "deployment_checks", "council, product", c, c.Council, c.Product)
}

// DeploymentChecks returns every deployment check, oldest first.
func (s *Store) DeploymentChecks(ctx context.Context) ([]DeploymentCheck, error) {
	return list(ctx, s, "deployment_checks", "", nil, func(v *DeploymentCheck, id int64) { v.ID = id })
}

// OpenPostgresSchema is OpenPostgres inside the named schema, which it creates if needed: one
// database can then hold several registries (or test runs) apart. schema must be a plain
// identifier (letters, digits, underscore).
func OpenPostgresSchema(ctx context.Context, dsn, schema string) (*Store, error) {
	for _, r := range schema {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return nil, fmt.Errorf("open registry store: schema %q: use lower-case letters, digits and _", schema)
		}
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open registry store: %w", err)
	}
	_, err = admin.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema)
	_ = admin.Close()
	if err != nil {
		return nil, fmt.Errorf("open registry store: %w", err)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return OpenPostgres(ctx, dsn+sep+"search_path="+schema)
}

// DropSchema removes a schema made by OpenPostgresSchema and everything in it; for tests.
func DropSchema(ctx context.Context, dsn, schema string) error {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	return err
}
