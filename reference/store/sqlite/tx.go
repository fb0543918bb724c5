package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// tx implements store.Tx over one database/sql transaction.
type tx struct {
	ctx context.Context
	tx  *sql.Tx
}

var _ store.Tx = (*tx)(nil)

// getDoc scans one JSON document column into v, mapping no rows to store.ErrNotFound.
func (t *tx) getDoc(v any, what, query string, args ...any) error {
	var doc string
	err := t.tx.QueryRowContext(t.ctx, query, args...).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// listDocs scans every row's JSON document column with decode.
func listDocs[T any](t *tx, what, query string, args ...any) ([]T, error) {
	rows, err := t.tx.QueryContext(t.ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	defer func() { _ = rows.Close() }()
	var out []T
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("list %s: %w", what, err)
		}
		var v T
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return out, nil
}

// exec runs a statement; when wantOne is set, it must change exactly one row.
func (t *tx) exec(what string, wantOne bool, query string, args ...any) error {
	res, err := t.tx.ExecContext(t.ctx, query, args...)
	if err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	if wantOne {
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("write %s: %w", what, err)
		}
		if n != 1 {
			return fmt.Errorf("write %s: %w", what, store.ErrNotFound)
		}
	}
	return nil
}

// encode marshals a stored document.
func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode document: %w", err)
	}
	return string(b), nil
}

// nullable maps "" to SQL NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (t *tx) Child(id string) (store.Child, error) {
	var c store.Child
	err := t.getDoc(&c, "child", `SELECT doc FROM children WHERE id = ?`, id)
	return c, err
}

func (t *tx) InsertChild(c store.Child) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	if err := t.exec("child", false, `INSERT INTO children (id, status, responsible_la, date_of_birth, doc) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.Status, c.ResponsibleLa.DfeCode, nullable(c.DateOfBirth), doc); err != nil {
		return err
	}
	return t.indexIdentifiers(c)
}

func (t *tx) UpdateChild(c store.Child) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	if err := t.exec("child", true, `UPDATE children SET status = ?, responsible_la = ?, date_of_birth = ?, doc = ? WHERE id = ?`,
		c.Status, c.ResponsibleLa.DfeCode, nullable(c.DateOfBirth), doc, c.ID); err != nil {
		return err
	}
	if err := t.exec("child identifiers", false, `DELETE FROM child_identifiers WHERE child_id = ?`, c.ID); err != nil {
		return err
	}
	return t.indexIdentifiers(c)
}

// indexIdentifiers records every identifier of c for lookup by value.
func (t *tx) indexIdentifiers(c store.Child) error {
	for _, id := range c.Identifiers {
		if err := t.exec("child identifier", false, `INSERT INTO child_identifiers (child_id, system, value) VALUES (?, ?, ?)`,
			c.ID, id.System, id.Value); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) ChildrenByIdentifier(system, value string) ([]store.Child, error) {
	return listDocs[store.Child](t, "children", `SELECT c.doc FROM children c WHERE c.id IN
		(SELECT child_id FROM child_identifiers WHERE system = ? AND value = ?) ORDER BY c.id`, system, value)
}

func (t *tx) ChildrenBornBetween(from, to string) ([]store.Child, error) {
	return listDocs[store.Child](t, "children", `SELECT doc FROM children
		WHERE date_of_birth BETWEEN ? AND ? ORDER BY id`, from, to)
}

func (t *tx) CountChildren() (int, error) {
	var n int
	if err := t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*) FROM children`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count children: %w", err)
	}
	return n, nil
}

func (t *tx) Involvement(id string) (store.Involvement, error) {
	var inv store.Involvement
	err := t.getDoc(&inv, "involvement", `SELECT doc FROM involvements WHERE id = ?`, id)
	return inv, err
}

func (t *tx) InsertInvolvement(inv store.Involvement) error {
	doc, err := encode(inv)
	if err != nil {
		return err
	}
	return t.exec("involvement", false, `INSERT INTO involvements (id, child_id, start_date, doc) VALUES (?, ?, ?, ?)`,
		inv.ID, inv.ChildID, inv.StartDate, doc)
}

func (t *tx) UpdateInvolvement(inv store.Involvement) error {
	doc, err := encode(inv)
	if err != nil {
		return err
	}
	return t.exec("involvement", true, `UPDATE involvements SET child_id = ?, start_date = ?, doc = ? WHERE id = ?`,
		inv.ChildID, inv.StartDate, doc, inv.ID)
}

func (t *tx) Involvements(childID string) ([]store.Involvement, error) {
	return listDocs[store.Involvement](t, "involvements", `SELECT doc FROM involvements
		WHERE child_id = ? ORDER BY start_date, id`, childID)
}

func (t *tx) Indicator(id string) (store.Indicator, error) {
	var ind store.Indicator
	err := t.getDoc(&ind, "indicator", `SELECT doc FROM indicators WHERE id = ?`, id)
	return ind, err
}

func (t *tx) InsertIndicator(ind store.Indicator) error {
	doc, err := encode(ind)
	if err != nil {
		return err
	}
	return t.exec("indicator", false, `INSERT INTO indicators (id, child_id, start_date, doc) VALUES (?, ?, ?, ?)`,
		ind.ID, ind.ChildID, ind.StartDate, doc)
}

func (t *tx) UpdateIndicator(ind store.Indicator) error {
	doc, err := encode(ind)
	if err != nil {
		return err
	}
	return t.exec("indicator", true, `UPDATE indicators SET child_id = ?, start_date = ?, doc = ? WHERE id = ?`,
		ind.ChildID, ind.StartDate, doc, ind.ID)
}

func (t *tx) Indicators(childID string) ([]store.Indicator, error) {
	return listDocs[store.Indicator](t, "indicators", `SELECT doc FROM indicators
		WHERE child_id = ? ORDER BY start_date, id`, childID)
}

func (t *tx) Consent(id string) (store.Consent, error) {
	var c store.Consent
	err := t.getDoc(&c, "consent", `SELECT doc FROM consents WHERE id = ?`, id)
	return c, err
}

func (t *tx) InsertConsent(c store.Consent) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	return t.exec("consent", false, `INSERT INTO consents (id, child_id, recorded_at, doc) VALUES (?, ?, ?, ?)`,
		c.ID, c.ChildID, c.RecordedAt, doc)
}

func (t *tx) UpdateConsent(c store.Consent) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	return t.exec("consent", true, `UPDATE consents SET child_id = ?, doc = ? WHERE id = ?`, c.ChildID, doc, c.ID)
}

func (t *tx) Consents(childID string) ([]store.Consent, error) {
	return listDocs[store.Consent](t, "consents", `SELECT doc FROM consents
		WHERE child_id = ? ORDER BY recorded_at, id`, childID)
}

func (t *tx) LastAuditEvent() (int64, string, error) {
	var seq int64
	var hash string
	err := t.tx.QueryRowContext(t.ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("read last audit event: %w", err)
	}
	return seq, hash, nil
}

func (t *tx) AppendAuditEvent(ev spec.AuditEvent) error {
	last, _, err := t.LastAuditEvent()
	if err != nil {
		return err
	}
	if ev.Seq != last+1 {
		return fmt.Errorf("append audit event: seq %d does not follow %d", ev.Seq, last)
	}
	doc, err := encode(ev)
	if err != nil {
		return err
	}
	if err := t.exec("audit event", false, `INSERT INTO audit_events (seq, action, outcome, purpose, actor_role, actor_la, hash, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.Seq, ev.Action, ev.Outcome, ev.Purpose, ev.Actor.Role, ev.Actor.La, ev.Hash, doc); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, id := range ev.ChildIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := t.exec("audit event child", false, `INSERT INTO audit_children (child_id, seq) VALUES (?, ?)`, id, ev.Seq); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) AuditEvents(q store.AuditQuery) ([]spec.AuditEvent, error) {
	var where []string
	args := []any{q.AfterSeq}
	where = append(where, `e.seq > ?`)
	if q.ChildID != "" {
		where = append(where, `EXISTS (SELECT 1 FROM audit_children ac WHERE ac.seq = e.seq AND ac.child_id = ?)`)
		args = append(args, q.ChildID)
	}
	if q.VisibleToLa != "" {
		where = append(where, `(e.actor_la = ? OR EXISTS (SELECT 1 FROM audit_children ac JOIN children c ON c.id = ac.child_id
			WHERE ac.seq = e.seq AND c.responsible_la = ?))`)
		args = append(args, q.VisibleToLa, q.VisibleToLa)
	}
	args = append(args, q.Limit)
	query := `SELECT e.doc FROM audit_events e WHERE ` + strings.Join(where, " AND ") + ` ORDER BY e.seq LIMIT ?`
	return listDocs[spec.AuditEvent](t, "audit events", query, args...)
}

func (t *tx) Accesses(q store.AccessQuery) ([]spec.AuditEvent, error) {
	if len(q.Actions) == 0 {
		return nil, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(q.Actions)), ", ")
	args := []any{q.ChildID}
	for _, a := range q.Actions {
		args = append(args, a)
	}
	args = append(args, q.SkipPurpose, q.SkipRole, q.SkipLa, q.Limit)
	query := `SELECT e.doc FROM audit_children ac JOIN audit_events e ON e.seq = ac.seq
		WHERE ac.child_id = ? AND e.outcome = 'SUCCESS' AND e.action IN (` + marks + `)
		AND e.purpose <> ? AND NOT (e.actor_role = ? AND e.actor_la = ?)
		ORDER BY e.seq DESC LIMIT ?`
	return listDocs[spec.AuditEvent](t, "accesses", query, args...)
}

func (t *tx) AddNotification(n *store.Notification) (bool, error) {
	if n.DedupeKey != "" {
		var exists int
		err := t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*) FROM notifications WHERE dedupe_key = ?`, n.DedupeKey).Scan(&exists)
		if err != nil {
			return false, fmt.Errorf("read notifications: %w", err)
		}
		if exists > 0 {
			return false, nil
		}
	}
	if err := t.tx.QueryRowContext(t.ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM notifications WHERE child_id = ?`,
		n.ChildID).Scan(&n.Seq); err != nil {
		return false, fmt.Errorf("read notifications: %w", err)
	}
	doc, err := encode(n)
	if err != nil {
		return false, err
	}
	if err := t.exec("notification", false, `INSERT INTO notifications (event_id, child_id, seq, dedupe_key, doc) VALUES (?, ?, ?, ?, ?)`,
		n.EventID, n.ChildID, n.Seq, nullable(n.DedupeKey), doc); err != nil {
		return false, err
	}
	return true, nil
}

func (t *tx) Notifications(childID string) ([]store.Notification, error) {
	return listDocs[store.Notification](t, "notifications", `SELECT doc FROM notifications WHERE child_id = ? ORDER BY seq`, childID)
}

func (t *tx) IdempotentResponse(org, key string) (store.IdempotentResponse, error) {
	var r store.IdempotentResponse
	err := t.getDoc(&r, "idempotent response", `SELECT doc FROM idempotency WHERE org = ? AND key = ?`, org, key)
	return r, err
}

func (t *tx) SaveIdempotentResponse(r store.IdempotentResponse) error {
	doc, err := encode(r)
	if err != nil {
		return err
	}
	return t.exec("idempotent response", false, `INSERT INTO idempotency (org, key, doc) VALUES (?, ?, ?)`, r.Org, r.Key, doc)
}
