package sqlite

import (
	"fmt"

	"github.com/icscert/icscert/reference/store"
)

func (t *tx) Transfer(id string) (store.Transfer, error) {
	var tr store.Transfer
	err := t.getDoc(&tr, "transfer", `SELECT doc FROM transfers WHERE id = ?`, id)
	return tr, err
}

func (t *tx) InsertTransfer(tr store.Transfer) error {
	doc, err := encode(tr)
	if err != nil {
		return err
	}
	return t.exec("transfer", false, `INSERT INTO transfers (id, child_id, state, doc) VALUES (?, ?, ?, ?)`,
		tr.ID, tr.ChildID, tr.State, doc)
}

func (t *tx) UpdateTransfer(tr store.Transfer) error {
	doc, err := encode(tr)
	if err != nil {
		return err
	}
	return t.exec("transfer", true, `UPDATE transfers SET child_id = ?, state = ?, doc = ? WHERE id = ?`,
		tr.ChildID, tr.State, doc, tr.ID)
}

func (t *tx) OpenTransfers(childID string) ([]store.Transfer, error) {
	return listDocs[store.Transfer](t, "transfers", `SELECT doc FROM transfers
		WHERE child_id = ? AND state IN ('PROPOSED', 'ACCEPTED') ORDER BY id`, childID)
}

func (t *tx) Subscription(id string) (store.Subscription, error) {
	var s store.Subscription
	err := t.getDoc(&s, "subscription", `SELECT doc FROM subscriptions WHERE id = ?`, id)
	return s, err
}

func (t *tx) InsertSubscription(s store.Subscription) error {
	doc, err := encode(s)
	if err != nil {
		return err
	}
	council := 0
	if s.Council {
		council = 1
	}
	return t.exec("subscription", false, `INSERT INTO subscriptions (id, la, org, council, doc) VALUES (?, ?, ?, ?, ?)`,
		s.ID, s.La, s.Org, council, doc)
}

func (t *tx) SubscriptionsFor(la, org string) ([]store.Subscription, error) {
	return listDocs[store.Subscription](t, "subscriptions", `SELECT doc FROM subscriptions
		WHERE (council = 1 AND la = ?) OR (council = 0 AND org <> '' AND org = ?) ORDER BY id`, la, org)
}

func (t *tx) Delivery(id string) (store.Delivery, error) {
	var d store.Delivery
	err := t.getDoc(&d, "delivery", `SELECT doc FROM deliveries WHERE id = ?`, id)
	return d, err
}

func (t *tx) InsertDelivery(d store.Delivery) error {
	doc, err := encode(d)
	if err != nil {
		return err
	}
	return t.exec("delivery", false, `INSERT INTO deliveries (id, ref, state, due_at, doc) VALUES (?, ?, ?, ?, ?)`,
		d.ID, d.Ref, d.State, d.DueAt, doc)
}

func (t *tx) UpdateDelivery(d store.Delivery) error {
	doc, err := encode(d)
	if err != nil {
		return err
	}
	return t.exec("delivery", true, `UPDATE deliveries SET ref = ?, state = ?, due_at = ?, doc = ? WHERE id = ?`,
		d.Ref, d.State, d.DueAt, doc, d.ID)
}

func (t *tx) DueDeliveries(at string, limit int) ([]store.Delivery, error) {
	return listDocs[store.Delivery](t, "deliveries", `SELECT doc FROM deliveries
		WHERE state = 'PENDING' AND due_at <= ? ORDER BY due_at, id LIMIT ?`, at, limit)
}

func (t *tx) NextDue() (string, error) {
	var due *string
	if err := t.tx.QueryRowContext(t.ctx, `SELECT MIN(due_at) FROM deliveries WHERE state = 'PENDING'`).Scan(&due); err != nil {
		return "", fmt.Errorf("read deliveries: %w", err)
	}
	if due == nil {
		return "", nil
	}
	return *due, nil
}

func (t *tx) DeliveriesOf(ref, state string, limit int) ([]store.Delivery, error) {
	return listDocs[store.Delivery](t, "deliveries", `SELECT doc FROM deliveries
		WHERE ref = ? AND (? = '' OR state = ?) ORDER BY due_at DESC, id DESC LIMIT ?`, ref, state, state, limit)
}

func (t *tx) CountDeliveries(ref string) (map[string]int, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT state, COUNT(*) FROM deliveries WHERE ref = ? GROUP BY state`, ref)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count deliveries: %w", err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	return out, nil
}

func (t *tx) ShieldReviewsDue(date string) ([]store.Child, error) {
	return listDocs[store.Child](t, "children", `SELECT doc FROM children
		WHERE status = 'ACTIVE' AND json_extract(doc, '$.shielding.shielded') = 1
		AND json_extract(doc, '$.shielding.reviewDue') < ? ORDER BY id`, date)
}
