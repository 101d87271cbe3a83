package pgtest

import (
	"context"
	"testing"
)

func TestStartQueryStopRestart(t *testing.T) {
	s := Start(t)
	var one int
	if err := s.Conn().QueryRow(context.Background(), "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1: %d %v", one, err)
	}
	s.Stop()
	s.Restart()
	if err := s.Conn().QueryRow(context.Background(), "select 2").Scan(&one); err != nil || one != 2 {
		t.Fatalf("select 2 after restart: %d %v", one, err)
	}
}
