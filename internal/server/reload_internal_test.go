package server

import (
	"context"
	"log/slog"
	"os"
	"syscall"
	"testing"

	"github.com/licet/licet/internal/tlsreload/tlstest"
)

// TestReloadOnSignal: a signal (SIGHUP from the command line) loads the certificate files again
// without waiting for a handshake to notice the change.
func TestReloadOnSignal(t *testing.T) {
	first, renewed, cert := tlstest.Renewal(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal)
	done := make(chan struct{})
	go func() {
		reloadOnSignal(ctx, signals, cert, slog.New(slog.DiscardHandler))
		close(done)
	}()
	tlstest.Install(t, renewed, first.CertFile, first.KeyFile)
	if !cert.Expires().Equal(first.Cert.NotAfter) {
		t.Fatalf("the certificate changed before any signal or handshake")
	}
	signals <- syscall.SIGHUP
	signals <- syscall.SIGHUP // the first has been handled once the second is received
	if got := cert.Expires(); !got.Equal(renewed.Cert.NotAfter) {
		t.Errorf("after SIGHUP the certificate expires %v, want the renewed one's %v", got, renewed.Cert.NotAfter)
	}
	cancel()
	<-done
}
