// Package schedule owns a line's opening hours: weekly periods in the
// line's own time zone, periods that run past midnight, and holidays. It
// answers whether the line is open at an instant, when it next opens, and
// which closed period an instant falls in, so that triage can flag
// out-of-hours contact and the notification service can send one
// auto-reply per closed period. It declares the week as configuration
// writes it (lowercase English weekdays, Monday first) for the rota,
// the configuration's checks and the console.
//
// Hours are wall-clock times in the line's zone, so "09:00-17:00" means
// 09:00 to 17:00 local time in winter and in summer. On the days the clocks
// change, a time is taken as the first instant the local clock reads it or
// later: a boundary in the skipped hour of spring-forward falls at the
// jump, and a boundary in the repeated hour of fall-back at its first
// occurrence.
package schedule
