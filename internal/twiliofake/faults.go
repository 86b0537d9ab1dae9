package twiliofake

import (
	"fmt"
	"slices"
	"strings"
)

// FailNext makes the next n create requests (messages and calls alike) fail
// with HTTP status and Twilio error code (0: a code usual for the status, such
// as 20429 for 429).
// Calls queue up: FailNext(1, 429, 0) then FailNext(1, 500, 0) fails with 429,
// then 500.
func (f *Fake) FailNext(n, status, code int) {
	if n <= 0 {
		return
	}
	if code == 0 {
		code = defaultCode(status)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{status: status, code: code, left: n})
}

// OptOut makes sending to number fail with 400 / 21610, as after the recipient
// texted STOP. Unlike Twilio, which scopes an opt-out to the sender number or
// messaging service, the fake's opt-outs apply to every sender.
func (f *Fake) OptOut(number string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.optedOut[number] = true
}

// OptIn undoes OptOut, as after the recipient texted START.
func (f *Fake) OptIn(number string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.optedOut, number)
}

func (f *Fake) isOptedOut(number string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.optedOut[number]
}

// takeFault consumes the next injected fault, if any.
func (f *Fake) takeFault() (fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.faults) == 0 {
		return fault{}, false
	}
	ft := f.faults[0]
	f.faults[0].left--
	if f.faults[0].left == 0 {
		f.faults = f.faults[1:]
	}
	return ft, true
}

// FailDeliveries makes every message later sent to number end in status,
// "undelivered" (after "sent") or "failed", with Twilio error code (such as
// 30003, unreachable handset, or 30005, unknown destination): its status
// callbacks say so, whether or not Config.DeliverStatus is set. Status ""
// lets messages to number be delivered again.
func (f *Fake) FailDeliveries(number, status string, code int) error {
	return f.setOutcome(f.undelivered, number, status, code, "undelivered", "failed")
}

// FailCalls makes every call later placed to number end in status instead of
// being answered: "no-answer" (after ringing), "busy", "failed" or
// "canceled", with Twilio error code if not 0. Status "" lets calls to number
// be answered again.
func (f *Fake) FailCalls(number, status string, code int) error {
	return f.setOutcome(f.unanswered, number, status, code, "no-answer", "busy", "failed", "canceled")
}

func (f *Fake) setOutcome(outcomes map[string]outcome, number, status string, code int, allowed ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case status == "":
		delete(outcomes, number)
	case slices.Contains(allowed, status):
		outcomes[number] = outcome{status: status, code: code}
	default:
		return fmt.Errorf("status %q: want one of %s", status, strings.Join(allowed, ", "))
	}
	return nil
}

// HoldAnswer makes the next message sent to number accepted (recorded,
// listed, its status going on as any other's) while the answer to its
// create request never comes: the request waits until the client goes
// away. A sender killed while it waits is a sender that died after Twilio
// accepted its message and before it learnt the sid.
func (f *Fake) HoldAnswer(number string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held[number]++
}

// takeHold reports whether the answer to a message to number is held.
func (f *Fake) takeHold(number string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held[number] == 0 {
		return false
	}
	f.held[number]--
	return true
}
