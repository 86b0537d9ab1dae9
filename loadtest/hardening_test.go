package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/apptest"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/services/console"
	"github.com/helpline-org/helpline/services/ingestion"
)

// The hardening load tests (issue 15) run only when asked, each alone
// (they measure the process's memory):
//
//	HELPLINE_LOAD_CHAT_STREAMS=3000 go test -run TestChatStreamsBesideTheCrisisPath -v -timeout 20m ./loadtest/
//	HELPLINE_LOAD_SIGNIN=50 go test -run TestSignInsUnderMemoryLimit -v -timeout 10m ./loadtest/
const (
	envChatStreams = "HELPLINE_LOAD_CHAT_STREAMS"
	envSignIns     = "HELPLINE_LOAD_SIGNIN"
)

func loadCount(t *testing.T, env string) int {
	v := os.Getenv(env)
	if v == "" {
		t.Skipf("set %s to run this load test", env)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive count", env, v)
	}
	return n
}

const staffPassword = "a long load test password"

// TestChatStreamsBesideTheCrisisPath holds n open anonymous chat streams
// (each its own chat, from many addresses) in the shipped composition, then
// sends signed crisis texts from new numbers: every one must answer 200
// and page the duty worker, who acknowledges each escalation and replies
// in its conversation through the console's API. The chat streams must
// still be live afterwards (a message in each of 100 chats reaches its
// stream).
func TestChatStreamsBesideTheCrisisPath(t *testing.T) {
	n := loadCount(t, envChatStreams)
	ctx := context.Background()
	// The chats are started far faster than the chat's global rate allows
	// (an attack's pace): the rate is lifted for the set-up.
	s := startStack(t, Options{Env: map[string]string{config.VarClientIP: "X-Forwarded-For"},
		Chat: ingestion.ChatHTTPConfig{GlobalBurstBytes: 64 << 20}})
	if err := s.Console.Accounts().Register(ctx, "dana", "Dana Duty", events.RoleDuty, staffPassword, "loadtest", events.Meta{OccurredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	pages, cancelPages := s.Fake.Subscribe()
	defer cancelPages()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	t0 := time.Now()
	chats := startChats(t, client, s.BaseURL, n)
	t.Logf("%d chats started in %s", n, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	streams := openStreams(t, client, s.BaseURL, chats)
	t.Logf("%d chat streams open in %s; process RSS %.0f MiB", len(streams), time.Since(t0).Round(time.Millisecond), rssMiB("VmRSS"))

	duty := apptest.SignIn(t, s.BaseURL, "dana", staffPassword)
	const crises = 20
	lat := hdrhistogram.New(1, 60_000_000, 3)
	for i := range crises {
		from := fmt.Sprintf("+4477005%05d", i)
		start := time.Now()
		code, err := s.Text(ctx, SID(time.Now().UnixNano()), from, "i took 30 paracetamol and i want to die")
		if err != nil || code != http.StatusOK {
			t.Fatalf("crisis text %d beside %d chat streams: %d %v", i, n, code, err)
		}
		if err := awaitPage(pages, 30*time.Second); err != nil {
			t.Fatalf("crisis text %d: %v", i, err)
		}
		_ = lat.RecordValue(time.Since(start).Microseconds())
	}
	t.Logf("%d crisis texts: all 200 and paged; crisis to page p50 %.0f ms, p99 %.0f ms, max %.0f ms",
		crises, float64(lat.ValueAtQuantile(50))/1000, float64(lat.ValueAtQuantile(99))/1000, float64(lat.Max())/1000)

	// The duty worker acknowledges every escalation and replies.
	var queue struct {
		Escalations []struct {
			ID             string `json:"id"`
			ConversationID string `json:"conversation_id"`
			AcknowledgedBy string `json:"acknowledged_by"`
		} `json:"escalations"`
	}
	poll.Until(t, 60*time.Second, func() error {
		if code, body := duty.Do("GET", "/api/queue", nil); code != http.StatusOK || json.Unmarshal(body, &queue) != nil {
			return fmt.Errorf("queue: %d %s", code, body)
		}
		if len(queue.Escalations) < crises {
			return fmt.Errorf("%d escalations in the queue, want %d", len(queue.Escalations), crises)
		}
		return nil
	})
	for i, e := range queue.Escalations {
		if code, body := duty.Do("POST", "/api/escalations/"+e.ID+"/ack", nil); code >= 300 {
			t.Fatalf("acknowledge %d: %d %s", i, code, body)
		}
		reply := map[string]string{"id": fmt.Sprintf("load-reply-%d", i), "body": "We are here. Are you safe right now?"}
		if code, body := duty.Do("POST", "/api/conversations/"+e.ConversationID+"/replies", reply); code != http.StatusAccepted {
			t.Fatalf("reply %d: %d %s", i, code, body)
		}
	}
	t.Logf("%d escalations acknowledged and replied to", len(queue.Escalations))

	// The chat is still live: a message in each of 100 chats reaches its
	// own stream.
	for i := range min(100, len(chats)) {
		k := i * len(chats) / min(100, len(chats))
		req, _ := http.NewRequest("POST", s.BaseURL+ingestion.ChatMessagesPath, strings.NewReader(fmt.Sprintf(`{"id":"load-%d","body":"still there?"}`, k)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", chatAddr(k))
		req.AddCookie(&http.Cookie{Name: ingestion.ChatCookieName, Value: chats[k]})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("chat message %d: %d", k, resp.StatusCode)
		}
		poll.Until(t, 30*time.Second, func() error {
			if streams[k].messages.Load() == 0 {
				return fmt.Errorf("chat %d's stream has not shown its message", k)
			}
			return nil
		})
	}
	open := 0
	for _, st := range streams {
		if !st.ended.Load() {
			open++
		}
	}
	if open != n {
		t.Fatalf("%d of %d chat streams still open at the end", open, n)
	}
	t.Logf("all %d chat streams open at the end; process RSS %.0f MiB (peak %.0f MiB), load generator included", n, rssMiB("VmRSS"), rssMiB("VmHWM"))
}

// startChats starts n chats, five per client address (the per-address
// limit), and returns their session tokens.
func startChats(t *testing.T, client *http.Client, base string, n int) []string {
	tokens := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				req, _ := http.NewRequest("POST", base+ingestion.ChatStartPath, strings.NewReader(`{}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Forwarded-For", chatAddr(i))
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					errs <- fmt.Errorf("start chat %d: %d", i, resp.StatusCode)
					return
				}
				for _, c := range resp.Cookies() {
					if c.Name == ingestion.ChatCookieName {
						tokens[i] = c.Value
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return tokens
}

// chatAddr is the client address of chat i: five chats an address (the
// per-address start limit).
func chatAddr(i int) string { return fmt.Sprintf("10.%d.%d.%d", i/5/65536, i/5/256%256, i/5%256) }

// chatStream is one open event stream, read in the background.
type chatStream struct {
	ready, ended atomic.Bool
	messages     atomic.Int64
}

func openStreams(t *testing.T, client *http.Client, base string, tokens []string) []*chatStream {
	ctx, cancel := context.WithCancel(context.Background())
	streams := make([]*chatStream, len(tokens))
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for i, tok := range tokens {
		st := &chatStream{}
		streams[i] = st
		req, _ := http.NewRequestWithContext(ctx, "GET", base+ingestion.ChatEventsPath, nil)
		req.AddCookie(&http.Cookie{Name: ingestion.ChatCookieName, Value: tok})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %d: %d", i, resp.StatusCode)
		}
		wg.Go(func() {
			defer st.ended.Store(true)
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				switch sc.Text() {
				case "event: ready":
					st.ready.Store(true)
				case "event: message":
					st.messages.Add(1)
				}
			}
		})
	}
	poll.Until(t, 5*time.Minute, func() error {
		ready := 0
		for _, st := range streams {
			if st.ready.Load() {
				ready++
			}
		}
		if ready < len(streams) {
			return fmt.Errorf("%d of %d streams ready", ready, len(streams))
		}
		return nil
	})
	return streams
}

// signInAttempt posts one sign-in from a client of its own, waiting up
// to a minute for the answer, and returns its status.
func signInAttempt(t *testing.T, base, id, password string) int {
	c := apptest.NewStaff(t, base)
	c.HTTP.Timeout = time.Minute
	code, _ := c.Do("POST", "/api/session", map[string]string{"staff_id": id, "password": password})
	return code
}

// rssMiB reads a memory figure of this process (VmRSS now, VmHWM its
// peak) from /proc/self/status, in MiB.
func rssMiB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// TestSignInsUnderMemoryLimit sends n concurrent sign-in attempts (for n
// different unknown staff ids, each compared with the dummy hash, from one
// address whose rate limit is lifted) to the shipped composition: the process's peak resident
// memory stays under 256 MiB (the console pod's limit), because hashes
// wait for one of a few turns or are refused with 503. Then 20 parallel
// wrong passwords for one account lock it after 5: the right password is
// refused.
func TestSignInsUnderMemoryLimit(t *testing.T) {
	n := loadCount(t, envSignIns)
	ctx := context.Background()
	s := startStack(t, Options{Console: console.Config{SignInBurst: 10_000}})
	before := rssMiB("VmHWM")
	statuses := make([]int, n)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range n {
		wg.Go(func() {
			statuses[i] = signInAttempt(t, s.BaseURL, fmt.Sprintf("nobody%d", i), "not the password")
		})
	}
	wg.Wait()
	peak := rssMiB("VmHWM")
	t.Logf("%d concurrent sign-ins in %s: statuses %v; peak RSS %.0f MiB (%.0f MiB before)", n, time.Since(t0).Round(time.Millisecond), count(statuses), peak, before)
	if peak >= 256 {
		t.Fatalf("peak resident memory %.0f MiB, want under 256", peak)
	}
	for _, code := range statuses {
		if code != http.StatusUnauthorized && code != http.StatusServiceUnavailable {
			t.Fatalf("statuses %v: want 401 (checked) or 503 (busy)", count(statuses))
		}
	}

	if err := s.Console.Accounts().Register(ctx, "staff0x", "Staff Member", events.RoleWorker, staffPassword, "loadtest", events.Meta{OccurredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	statuses = make([]int, 20)
	for i := range 20 {
		wg.Go(func() {
			statuses[i] = signInAttempt(t, s.BaseURL, "staff0x", "not the password")
		})
	}
	wg.Wait()
	code := signInAttempt(t, s.BaseURL, "staff0x", staffPassword)
	t.Logf("20 parallel wrong passwords: statuses %v; then the right password: %d", count(statuses), code)
	if code != http.StatusLocked {
		t.Fatalf("right password after 20 parallel wrong ones: %d, want 423", code)
	}
	if k := count(statuses)[http.StatusUnauthorized]; k > 5 {
		t.Fatalf("%d wrong passwords answered as checked, want at most 5", k)
	}
	if peak := rssMiB("VmHWM"); peak >= 256 {
		t.Fatalf("peak resident memory %.0f MiB, want under 256", peak)
	}
}

func count(codes []int) map[int]int {
	m := map[int]int{}
	for _, c := range codes {
		m[c]++
	}
	return m
}
