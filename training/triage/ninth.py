"""English templates of the ninth generation (triage-2.7), appended after all older ones.

Two kinds, written by category: siblings in the training folds for families that had one
template only, so it fell in the validation fold alone and the model that picks the threshold
had never seen the family ("I'd like X turned off", "interpret the alarms from X", "when was X
installed", a fault code and "what now"), and more of the plainest commands and questions,
which the product promises to answer locally with a margin ("turn off pump 2 and valve 4").
Also categories the shipped models still miss: "when did X last run" as history, and wish
openers. Each tuple is appended to its intent in ``corpus.TEMPLATES``; the order within a
tuple puts siblings in folds 0-4 (index % 7). Training-only.
"""

from __future__ import annotations

QUERY_STATE_NINTH = (
    "I need the (current|latest) {kind} (in|at|of) {area}",
    "what is the {kind} (in|at) {area}",
    "could I (get|have) the {kind} (in|at|for) {area} [<pls>]",
    "I('d| would) like to know (what|how high) the {kind} (is|reads) (in|at) {area}",
    "is {act} (on|running|open) [<now>]",
    "what's the {kind} (in|at) {area} [<now>]",
    "what is {sensor} (reading|showing) [<now>]",
    # the product's own first example, in the commonest kinds (seven: one in every fold)
    "what is the (temperature|humidity) (in|at) {area}",
    "what's the (temperature|humidity|pressure) (in|at|on) {area}",
    "what is the (temperature|level|pressure) (of|at|from) {sensor}",
    "what is the temperature (in|at) {area} [<now>]",
    "(what is|what's) the (temperature|humidity) in {area} [right now]",
    "temperature (in|at) {area}",
    "what is the current (temperature|humidity) (in|at) {area}",
    # a state asked in the perfect tense ("has X started"): a sibling in the training folds
    "has {act} (started|stopped|come on|gone off) [yet]",
    "has {act} (started|stopped|switched on|switched off) [<now>]",
)
QUERY_HISTORY_NINTH = (
    "[the] last time {act} (ran|started|was on|switched on)",
    "when did {act} last (run|start|switch on|stop|switch off|open|close)",
    "when was {act} last (on|running|started|opened|switched off)",
    "when was the last time {act} (ran|started|was switched on|opened)",
    "how long ago did {act} (last run|last start|last stop)",
    "at what time did {act} (start|stop|switch on|switch off) {window}",
    "when did {act} (start|stop|switch off|open) {window}",
)
SET_ACTUATOR_NINTH = (
    "I('d| would) like {act} (turned|switched) (off|on) (now|please|right away)",
    "<off> {act} and {act2}",
    "<on> {act} and {act2} [<pls>]",
    "I (want|need) {act} (turned|switched) (off|on) [<pls>]",
    "turn (off|on) {act}",
    "(turn|switch) (off|on) both {act} and {act2}",
    "(switch|turn) (off|on) {act} and {act2} [<now>]",
    "(get|have) {act} (turned|switched) (off|on) [<pls>]",
    "<close> {act} and {act2}",
    "turn {act} (off|on) [<pls>]",
    "<off> {act} [<pls>]",
    "(shut|close) {act} (right away|immediately)",
    "switch (off|on) {act} [<pls>]",
    "please (open|close) {act} (right away|now)",
)
LIST_ALERTS_NINTH = (
    "what is (abnormal|unusual|out of range|not normal) [<now>|today]",
    "(are there|any) (problems|issues) (on site|in the plant|on the farm|anywhere) [<now>|today]",
    "anything (to report|I should know about) (on site|in the plant|on the farm) [today]",
    "what's (wrong|abnormal|acting up) (on site|in the plant|anywhere) [<now>]",
    "(is there|do we have) (anything|something) (abnormal|unusual) (anywhere|going on) [<now>]",
    "what is in alarm [<now>]",
    "(is|has) anything (unusual|odd|abnormal) (happened|going on) (today|<now>)",
)
ESCALATE_NINTH = (
    "(explain|make sense of|analyse) the <alarm> (on|in|from) {area}",
    "when was {act} (installed|bought|commissioned|last serviced)",
    "{act} (displays|gives|throws) (code|fault|error) {n}(,|.) what should I do",
    "(fault|error|code) {n} on {act}: what does it mean",
    "how (do|can) I (tell|know) (if|whether) {act} is (worn|clogged|failing|broken)",
    "(interpret|explain) the (alarms|alerts|warnings) (of|from) {act}",
    "how should I deal with {act} [<now>]",
    "I('d| would) like to know (why|how come) {act} (stopped|tripped|went off)",
    "is it (safe|ok) to (work on|service|touch) {act} [<now>]",
    "(explain|decode) (fault|error) {n} on {act} [for me]",
    "(interpret|explain) the (faults|trips) (on|in) {area} for me",
    "how old is {act}",
    "how (do|can) I (check|see) (if|whether) {act} needs (servicing|replacing|cleaning)",
    "{act} (shows|reports) (fault|error) {n}: (explain|meaning) please",
    "how (can|do) we (save|cut) (energy|power|electricity) (in|at) {area}",
    "how (can|do) I (reduce|lower) the (energy|power|water) (use|consumption) of {act}",
    "(tips|ideas) (to|for) (save|saving) energy (in|at) {area}",
    "how do we make {area} more (efficient|energy efficient)",
)
