package tcp

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
)

// An impostor that answers the introductions without the secret must not
// get a worker: the worker checks the driver's proof before serving.
func TestWorkerRefusesDriverWithoutTheSecret(t *testing.T) {
	cert, err := throwawayCert()
	if err != nil {
		t.Fatal(err)
	}
	drv, wrk := net.Pipe()
	defer drv.Close()
	go func() {
		tc := tls.Server(drv, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
		if tc.Handshake() != nil {
			return
		}
		binding, _ := channelBinding(tc)
		var wh workerHello
		if readMsg(tc, &wh) != nil {
			return
		}
		writeMsg(tc, driverHello{Proof: proof([]byte("the impostor's own secret"), "driver", binding)})
	}()
	_, _, err = introduceWorker(wrk, []byte("the real pool secret, 32 bytes."), WorkerInfo{Name: "w"})
	if err == nil || !strings.Contains(err.Error(), "failed to prove") {
		t.Fatalf("introduceWorker with an impostor: err = %v, want a failed proof", err)
	}
}

// A worker's proof is bound to its TLS session: replayed on another
// connection it is refused.
func TestProofIsBoundToTheSession(t *testing.T) {
	secret := []byte("the real pool secret, 32 bytes.")
	if proof(secret, "worker", []byte("session one")) == proof(secret, "worker", []byte("session two")) {
		t.Fatal("proofs for two sessions are equal")
	}
	if proof(secret, "worker", []byte("s")) == proof(secret, "driver", []byte("s")) {
		t.Fatal("the worker's proof would serve as the driver's")
	}
}
