package schedule

import (
	"bytes"
	"fmt"
	"strings"
)

// The iCalendar library parses content lines and components; before it
// does, cleanLines keeps only what this package reads. Feeds carry much
// else (alarms, time zone definitions, attachments), and the library's
// parameter parsing takes time that grows with the square of a line's
// parameters, so a hostile feed could stall it: a line with more than
// maxParams parameters is refused here.

const maxParams = 64

// calendarProps and eventProps are the properties read (see doc.go).
var (
	calendarProps = map[string]bool{"X-WR-TIMEZONE": true, "X-WR-CALNAME": true}
	eventProps    = map[string]bool{
		"UID": true, "DTSTART": true, "DTEND": true, "DURATION": true, "RRULE": true, "RDATE": true,
		"EXDATE": true, "RECURRENCE-ID": true, "STATUS": true, "SUMMARY": true, "DESCRIPTION": true,
		"ATTENDEE": true, "ORGANIZER": true,
	}
)

// cleanLines unfolds data (RFC 5545 §3.1), keeps the first VCALENDAR's own
// properties listed above and its VEVENTs with theirs, upper-cases names,
// and returns the result as CRLF-terminated lines.
func cleanLines(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var out bytes.Buffer
	out.Grow(len(data) / 2)
	var stack []string
	started, done := false, false
	lineNo := 0
	var logical []byte
	emit := func(no int, line []byte) error {
		if len(bytes.TrimSpace(line)) == 0 || done {
			return nil
		}
		i := bytes.IndexAny(line, ";:")
		if i <= 0 {
			return fmt.Errorf("line %d is not a content line (NAME:value)", no)
		}
		name := strings.ToUpper(string(bytes.TrimSpace(line[:i])))
		rest := line[i:]
		if name == "BEGIN" || name == "END" {
			value := strings.ToUpper(strings.TrimSpace(string(bytes.TrimPrefix(rest, []byte(":")))))
			if name == "BEGIN" {
				if !started && value != "VCALENDAR" {
					return fmt.Errorf("line %d: the file does not start with BEGIN:VCALENDAR", no)
				}
				started = true
				stack = append(stack, value)
				if keepComponent(stack) {
					out.WriteString("BEGIN:" + value + "\r\n")
				}
				return nil
			}
			if len(stack) == 0 || stack[len(stack)-1] != value {
				return fmt.Errorf("line %d: END:%s does not close the open component", no, value)
			}
			if keepComponent(stack) {
				out.WriteString("END:" + value + "\r\n")
			}
			stack = stack[:len(stack)-1]
			done = len(stack) == 0 // later calendars in the same file are ignored
			return nil
		}
		if !started {
			return fmt.Errorf("line %d: the file does not start with BEGIN:VCALENDAR", no)
		}
		keep := false
		switch {
		case len(stack) == 1:
			keep = calendarProps[name]
		case len(stack) == 2 && stack[1] == "VEVENT":
			keep = eventProps[name]
		}
		if !keep {
			return nil
		}
		if n := countParams(rest); n > maxParams {
			return fmt.Errorf("line %d: %s has %d parameters; at most %d are read", no, name, n, maxParams)
		}
		out.WriteString(name)
		out.Write(rest)
		out.WriteString("\r\n")
		return nil
	}
	start := 1
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') && logical != nil {
			logical = append(logical, line[1:]...)
			continue
		}
		if logical != nil {
			if err := emit(start, logical); err != nil {
				return nil, err
			}
		}
		logical = append(logical[:0:0], line...)
		start = lineNo
	}
	if logical != nil {
		if err := emit(start, logical); err != nil {
			return nil, err
		}
	}
	if !started {
		return nil, fmt.Errorf("there is no BEGIN:VCALENDAR")
	}
	if !done {
		return nil, fmt.Errorf("the calendar has no END:VCALENDAR; the file may be cut short")
	}
	return out.Bytes(), nil
}

// keepComponent reports whether the innermost component on the stack is
// the calendar or one of its events.
func keepComponent(stack []string) bool {
	return len(stack) == 1 || (len(stack) == 2 && stack[1] == "VEVENT")
}

// countParams counts the parameters before a property's value: the
// semicolons before the first colon outside double quotes.
func countParams(rest []byte) int {
	n, quoted := 0, false
	for _, c := range rest {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			n++
		case c == ':' && !quoted:
			return n
		}
	}
	return n
}
