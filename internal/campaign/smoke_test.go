package campaign

import (
	"context"
	"os"
	"testing"

	"github.com/icscert/icscert/registry/store"
)

func TestSmoke(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), t.TempDir()+"/r.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := Run(context.Background(), Options{Store: st, OutDir: t.TempDir(), Councils: 20, Weeks: 8, Progress: os.Stdout})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Readiness.Ready, res.Certified, res.Pairs, res.Checks)
	for _, c := range res.Readiness.Councils[:20] {
		t.Log(c.Code, c.Ready, c.Reasons)
	}
}
