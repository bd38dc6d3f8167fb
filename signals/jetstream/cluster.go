package jetstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// ClusterNode makes an embedded server a node of a JetStream cluster: the
// cluster's name, this node's route port and the route URLs of the others.
type ClusterNode struct {
	Name   string
	Port   int
	Routes []string // nats-route://host:port of every node (its own is ignored)
}

// Cluster is a JetStream cluster of embedded servers on loopback, for tests
// and for trying a replicated deployment on one machine.
type Cluster struct {
	Nodes []*Embedded
}

// StartCluster starts n embedded servers (n ≥ 3 for a quorum that survives
// one loss) named <name>-0.. with their stores under baseDir, routed to
// each other, and waits until JetStream has a meta leader that sees every
// node online with JetStream (so a stream replicated n times can be placed
// at once). The caller
// shuts them down with Shutdown.
func StartCluster(ctx context.Context, name string, n int, baseDir string, log zerolog.Logger) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: a cluster needs at least one node, got %d", ErrInvalid, n)
	}
	ports := make([]int, n)
	routes := make([]string, n)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
		routes[i] = fmt.Sprintf("nats-route://%s:%d", DefaultEmbeddedHost, p)
	}
	c := &Cluster{}
	type started struct {
		i   int
		e   *Embedded
		err error
	}
	ch := make(chan started, n)
	// The nodes start together: JetStream waits for its peers before it is
	// ready, so starting them one after the other would deadlock.
	for i := range n {
		go func() {
			e, err := StartEmbedded(ctx, EmbeddedConfig{StoreDir: filepath.Join(baseDir, fmt.Sprintf("node-%d", i)),
				ServerName: fmt.Sprintf("%s-%d", name, i), Logger: log,
				Cluster: &ClusterNode{Name: name, Port: ports[i], Routes: routes}})
			ch <- started{i, e, err}
		}()
	}
	c.Nodes = make([]*Embedded, n)
	var errs []error
	for range n {
		s := <-ch
		c.Nodes[s.i] = s.e
		errs = append(errs, s.err)
	}
	if err := errors.Join(errs...); err != nil {
		c.Shutdown()
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for !c.ready() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.Shutdown()
			return nil, fmt.Errorf("jetstream: cluster %s: no JetStream leader seeing all %d nodes after 30s", name, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c, nil
}

// ready reports whether a node leads JetStream and sees every node as an
// online JetStream peer.
func (c *Cluster) ready() bool {
	for _, e := range c.Nodes {
		if e != nil && e.srv.JetStreamIsLeader() {
			return len(e.srv.JetStreamClusterPeers()) == len(c.Nodes)
		}
	}
	return false
}

// ClientURLs is the comma-separated client URLs of every node, as Connect
// takes them.
func (c *Cluster) ClientURLs() string {
	var urls []string
	for _, e := range c.Nodes {
		if e != nil {
			urls = append(urls, e.ClientURL())
		}
	}
	return strings.Join(urls, ",")
}

// Node returns the node with the server name, or nil.
func (c *Cluster) Node(serverName string) *Embedded {
	for _, e := range c.Nodes {
		if e != nil && e.srv.Name() == serverName {
			return e
		}
	}
	return nil
}

// Shutdown stops every node.
func (c *Cluster) Shutdown() {
	for _, e := range c.Nodes {
		if e != nil {
			e.Shutdown()
		}
	}
}

// freePort asks the system for a free loopback port. Another process could
// take it before the server binds it; on loopback in a test that is rare.
func freePort() (int, error) {
	l, err := net.Listen("tcp", DefaultEmbeddedHost+":0")
	if err != nil {
		return 0, fmt.Errorf("jetstream: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// clusterStreamWait bounds how long Cluster.EnsureStream retries.
const clusterStreamWait = 30 * time.Second

// EnsureStream is EnsureStream for a cluster that has just started: a
// stream replicated across it needs a proposal through JetStream's meta
// group and an election in the stream's own, and on a loaded machine the
// first creation can outlast the client's five-second request timeout. It
// retries while JetStream does not answer (ErrUnreachable), for up to 30
// seconds; a creation that timed out but landed is then found and checked
// like any existing stream.
func (c *Cluster) EnsureStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	deadline := time.Now().Add(clusterStreamWait)
	for {
		s, err := EnsureStream(ctx, js, cfg)
		if err == nil || !errors.Is(err, ErrUnreachable) || time.Now().After(deadline) || ctx.Err() != nil {
			return s, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
