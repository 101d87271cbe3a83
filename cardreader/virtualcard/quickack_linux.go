package virtualcard

import (
	"net"
	"syscall"
)

// quickAck asks Linux to acknowledge the next segments at once. vpcd writes
// each message as two sends (length, then body) with Nagle's algorithm on, so
// without this every APDU waits ~40 ms for our delayed ACK.
func quickAck(conn net.Conn) {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
