package fleet

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/icscert/icscert/reference"
)

// served is a reference server listening on a loopback port.
type served struct {
	url   string
	close func()
}

// serve serves h, the handler of srv or a wrapper of it, on a free loopback port until the
// returned close is called, which also closes srv.
func serve(h http.Handler, srv *reference.Server) (*served, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("serve reference: %w", err)
	}
	hs := reference.NewHTTPServer(h, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(reference.Listener(ln)) // returns http.ErrServerClosed on Shutdown
	}()
	return &served{
		url: "http://" + ln.Addr().String(),
		close: func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = hs.Shutdown(ctx)
			<-done
			_ = srv.Close()
		},
	}, nil
}
