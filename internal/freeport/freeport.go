// Package freeport hands out loopback TCP ports for servers that a test or
// the local cluster starts in another process (or starts again on the same
// port after a kill): the port must be chosen before the server binds it.
//
// Asking the kernel for port 0 and closing the listener returns a port from
// the ephemeral range, the same range the kernel takes the source ports of
// outgoing connections from; on a busy machine (the suite's packages run in
// parallel, each with NATS, PostgreSQL and HTTP clients) an outgoing
// connection can take that port before the server binds it, and the server
// fails with "address already in use". Ports here are drawn at random from
// below the ephemeral range instead, each checked free by binding it, and
// never handed out twice by one process.
package freeport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// lowest is the first port drawn from; ports below it are left to
// well-known and registered services.
const lowest = 20000

var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// Port returns a loopback port free now, outside the kernel's ephemeral
// range, that this process has not returned before.
func Port() (int, error) {
	hi := ephemeralLow() - 1
	for range 200 {
		p := lowest
		if hi > lowest {
			p = lowest + rand.IntN(hi-lowest+1)
		} else {
			p = 0 // no room below the ephemeral range: let the kernel choose
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue // taken: draw again
		}
		p = l.Addr().(*net.TCPAddr).Port
		l.Close()
		handedOut.Lock()
		fresh := !handedOut.ports[p]
		handedOut.ports[p] = true
		handedOut.Unlock()
		if fresh {
			return p, nil
		}
	}
	return 0, errors.New("freeport: no free loopback port found")
}

// Addr is Port as a 127.0.0.1:port address.
func Addr() (string, error) {
	p, err := Port()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), nil
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// ip_local_port_range), or the IANA range's 49152 where it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 49152
	}
	var lo, hi int
	if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &lo, &hi); err != nil || lo <= 0 {
		return 49152
	}
	return lo
}
