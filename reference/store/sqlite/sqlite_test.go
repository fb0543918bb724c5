package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reference/audit"
	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

func child(id string) store.Child {
	return store.Child{
		ID: id, Version: 1, Status: "ACTIVE", Name: spec.Name{Given: []string{"Zoë"}, Family: "O'Brien-Núñez"},
		Gender: "FEMALE", DateOfBirth: "2016-02-29", ResponsibleLa: spec.LocalAuthorityRef{DfeCode: "202"},
		Identifiers: []spec.Identifier{{System: "NHS_NUMBER", Value: "9990000018", Status: "CURRENT", Verified: true}},
	}
}

func event(t *testing.T, tx store.Tx, childID string) {
	t.Helper()
	seq, prev, err := tx.LastAuditEvent()
	require.NoError(t, err)
	if prev == "" {
		prev = audit.GenesisHash
	}
	ev, err := audit.Seal(spec.AuditEvent{
		Seq: seq + 1, At: "2026-06-15T10:00:00.000Z", Action: "CREATE_CHILD", Method: "POST",
		Path: "/v1/children", ChildIDs: []string{childID}, Outcome: "SUCCESS", Status: 201, CorrelationID: "c",
	}, prev)
	require.NoError(t, err)
	require.NoError(t, tx.AppendAuditEvent(ev))
}

func TestDurability(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reference.db")
	s, err := Open(path)
	require.NoError(t, err)
	var mode string
	var sync int
	require.NoError(t, s.writer.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	require.NoError(t, s.writer.QueryRow(`PRAGMA synchronous`).Scan(&sync))
	assert.Equal(t, "wal", mode, "the store runs in WAL mode")
	assert.Equal(t, 2, sync, "synchronous=FULL: no acknowledged write is lost")

	ctx := context.Background()
	require.NoError(t, s.Update(ctx, func(tx store.Tx) error {
		if err := tx.InsertChild(child("child-0001")); err != nil {
			return err
		}
		event(t, tx, "child-0001")
		return nil
	}))
	require.NoError(t, s.Close())

	s, err = Open(path)
	require.NoError(t, err, "reopening migrates nothing twice")
	defer func() { require.NoError(t, s.Close()) }()
	require.NoError(t, s.View(ctx, func(tx store.Tx) error {
		got, err := tx.Child("child-0001")
		require.NoError(t, err)
		assert.Equal(t, child("child-0001"), got, "a committed child reads back byte for byte")
		found, err := tx.ChildrenByIdentifier("NHS_NUMBER", "9990000018")
		require.NoError(t, err)
		assert.Len(t, found, 1)
		evs, err := tx.AuditEvents(store.AuditQuery{Limit: 10})
		require.NoError(t, err)
		require.Len(t, evs, 1)
		return audit.VerifyChain(evs)
	}))
}

func TestUpdateRollsBack(t *testing.T) {
	s, err := Open(Memory)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	ctx := context.Background()
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx store.Tx) error {
		require.NoError(t, tx.InsertChild(child("child-0001")))
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Panics(t, func() {
		_ = s.Update(ctx, func(tx store.Tx) error {
			require.NoError(t, tx.InsertChild(child("child-0002")))
			panic("programmer error")
		})
	})
	require.NoError(t, s.View(ctx, func(tx store.Tx) error {
		n, err := tx.CountChildren()
		assert.Equal(t, 0, n, "an error or a panic leaves no partial write")
		return err
	}))
}

func TestAuditIsAppendOnly(t *testing.T) {
	s, err := Open(Memory)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, func(tx store.Tx) error { event(t, tx, "child-0001"); return nil }))
	for _, stmt := range []string{`UPDATE audit_events SET outcome = 'DENIED'`, `DELETE FROM audit_events`, `DELETE FROM audit_children`} {
		_, err := s.writer.Exec(stmt)
		require.Error(t, err, "AUDIT-003: %s must be refused", stmt)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		return tx.AppendAuditEvent(spec.AuditEvent{Seq: 7})
	})
	require.Error(t, err, "an event must follow the newest")
}

func TestConcurrentUpdatesSerialise(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "reference.db"))
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, func(tx store.Tx) error { return tx.InsertChild(child("child-0001")) }))
	const writers = 16
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, s.Update(ctx, func(tx store.Tx) error {
				c, err := tx.Child("child-0001")
				if err != nil {
					return err
				}
				c.Version++
				return tx.UpdateChild(c)
			}))
		}()
	}
	wg.Wait()
	require.NoError(t, s.View(ctx, func(tx store.Tx) error {
		c, err := tx.Child("child-0001")
		assert.Equal(t, int64(1+writers), c.Version, "read-modify-write in Update never loses an update")
		return err
	}))
}

func TestNotificationsAndIdempotency(t *testing.T) {
	s, err := Open(Memory)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, func(tx store.Tx) error {
		for i, key := range []string{"", "k", "k", ""} {
			added, err := tx.AddNotification(&store.Notification{EventID: "e" + string(rune('0'+i)), ChildID: "c1", Type: "RECORD_ACCESSED", DedupeKey: key})
			require.NoError(t, err)
			assert.Equal(t, i != 2, added, "a dedupe key raises an event once")
		}
		ns, err := tx.Notifications("c1")
		require.NoError(t, err)
		require.Len(t, ns, 3)
		for i, n := range ns {
			assert.Equal(t, int64(i+1), n.Seq, "NOTIF-002: seq counts up per child from 1")
		}
		_, err = tx.IdempotentResponse("org", "key")
		assert.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, tx.SaveIdempotentResponse(store.IdempotentResponse{Org: "org", Key: "key", Status: 201, Body: []byte(`{}`)}))
		r, err := tx.IdempotentResponse("org", "key")
		require.NoError(t, err)
		assert.Equal(t, 201, r.Status)
		return nil
	}))
}

func TestOpenRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"", "a?b", "a#b"} {
		_, err := Open(p)
		require.Error(t, err, "path %q", p)
	}
}
