package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedConfig tunes the embedded server. The zero value is the default.
type EmbeddedConfig struct {
	// SyncAlways makes JetStream fsync every stored message. Off by default: messages reach the operating
	// system before the publish is acknowledged, so a crash of the process loses nothing, and JetStream
	// syncs every SyncInterval. A power loss can lose the events of the last interval that were already
	// marked published in the outbox.
	SyncAlways bool
	// SyncInterval is how often JetStream fsyncs its files when SyncAlways is off (1 s).
	SyncInterval time.Duration
}

// EmbeddedServer is a NATS server with JetStream running inside this process: no TCP port, its store under
// the data directory. Buses reach it through in-process pipes (Connect).
type EmbeddedServer struct {
	dir string
	log *slog.Logger
	cfg EmbeddedConfig

	mu  sync.Mutex
	srv *server.Server
}

// StartEmbedded starts an embedded NATS server with JetStream on, storing its streams under dataDir/nats.
// It returns when the server accepts connections.
func StartEmbedded(dataDir string, log *slog.Logger) (*EmbeddedServer, error) {
	return StartEmbeddedWith(dataDir, log, EmbeddedConfig{})
}

// StartEmbeddedWith is StartEmbedded with tuning.
func StartEmbeddedWith(dataDir string, log *slog.Logger, cfg EmbeddedConfig) (*EmbeddedServer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = time.Second
	}
	e := &EmbeddedServer{dir: filepath.Join(dataDir, "nats"), log: log.With("component", "nats"), cfg: cfg}
	if err := e.Start(); err != nil {
		return nil, err
	}
	return e, nil
}

// Start runs the server if it is not running, on the same store as before: streams, consumers and their
// positions survive a Stop and Start. Connections made with Connect reconnect by themselves.
func (e *EmbeddedServer) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		return nil
	}
	opts := &server.Options{
		ServerName:   "goodgo-embedded",
		DontListen:   true,
		JetStream:    true,
		StoreDir:     e.dir,
		NoSigs:       true,
		SyncAlways:   e.cfg.SyncAlways,
		SyncInterval: e.cfg.SyncInterval,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("start embedded nats: %w", err)
	}
	srv.SetLoggerV2(serverLogger{e.log}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return errors.New("start embedded nats: not ready after 30 s")
	}
	e.srv = srv
	return nil
}

// Stop shuts the server down and waits until it has. Connections keep trying to reconnect until Start runs
// it again or they are closed. Call it once the buses using it are closed.
func (e *EmbeddedServer) Stop() {
	e.mu.Lock()
	srv := e.srv
	e.srv = nil
	e.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// errStopped is what in-process connection attempts get while the server is stopped.
var errStopped = errors.New("embedded nats server is stopped")

// InProcessConn opens an in-process connection to the running server; it lets nats.go reconnect to the
// server after a restart (nats.InProcessConnProvider).
func (e *EmbeddedServer) InProcessConn() (net.Conn, error) {
	e.mu.Lock()
	srv := e.srv
	e.mu.Unlock()
	if srv == nil {
		return nil, errStopped
	}
	return srv.InProcessConn()
}

// Connect returns a Bus on this server.
func (e *EmbeddedServer) Connect(ctx context.Context, log *slog.Logger, opts Options) (*Bus, error) {
	return connect(ctx, "nats://embedded", log, opts, e)
}

// serverLogger sends the server's log to slog.
type serverLogger struct{ log *slog.Logger }

func (l serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l serverLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
