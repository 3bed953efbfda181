"""English templates of the eighth generation (triage-2.6), appended after all older ones.

Written by category, not by sentence, for kinds of phrasing earlier generations lacked: a
request opening with a wish ("I'd like to know ...", "I would like you to ..."), reads and
commands alike; site-wide questions about anything unusual, answered with the alert list;
more ways to ask which devices are offline or registered; and hard negatives in the same
shapes ("I'd like to know why ...", "how exactly does X work"). Each tuple is appended to its
intent in ``corpus.TEMPLATES``, so every older template keeps its fold (index % 7).
Training-only.
"""

from __future__ import annotations

QUERY_STATE_EIGHTH = (
    "I('d| would) like to know the {kind} (in|at) {area} [<now>]",
    "I('d| would) (like|love) to see the (reading|value|status) (of|from|for) {dev}",
    "I('d| would) like to know (if|whether) {act} is (on|off|running|open|closed) [<now>]",
    "I('d| would) like the (current|latest|present) {kind} (in|at|for) {area} [<pls>]",
    "I want to know (if|whether) {act} is (still running|still on|still open|running)",
    "I wish to (know|check) the <state> of {dev}",
    "I('d| would) like to know what {sensor} (reads|shows|is reading) [<now>]",
    "I('d| would) appreciate (knowing|a reading of) the {kind} (in|at) {area}",
)
QUERY_HISTORY_EIGHTH = (
    "I('d| would) like to see the {kind} <hist> (for|of) {area} {window}",
    "I('d| would) like to know how (long|often) {act} (ran|was on|was running) {window}",
    "I('d| would) like (the|a) (summary|chart|trend) of {sensor} {window}",
)
SET_ACTUATOR_EIGHTH = (
    "I('d| would) like you to (turn on|turn off|switch on|switch off|open|close|start|stop)"
    " {act} [<pls>]",
    "I('d| would) like {act} (switched|turned) (on|off) [<pls>]",
    "I('d| would) like {act} (set|put|run) (to|at) {value}",
    "I want {act} (on|off|open|closed) [<pls>]",
    "I('d| would) like to (start|stop|open|close) {act} [<now>]",
)
LIST_DEVICES_EIGHTH = (
    "which <devs> (have gone|went|are) (offline|silent|quiet|unreachable) [<now>|today]",
    "(what|which) (has|have) (lost connection|stopped reporting|lost contact) [<now>|today]",
    "which <devs> are (registered|enrolled|paired|configured) (on|with|in) (this|the)"
    " (gateway|system|controller)",
    "what is (registered|paired|enrolled|configured) (on|with) (this|the) (gateway|system"
    "|controller)",
    "(list|show) [me] [the] (registered|paired|enrolled|configured) <devs>",
    "how many <devs> (are|have been) (registered|paired|enrolled) [in total]",
    "I('d| would) like (a list of|to see) [the] <devs> (in|at|on) {area}",
    "which <devs> can('t| not) be reached [<now>]",
)
LIST_ALERTS_EIGHTH = (
    "(is there|do we have) anything (unusual|abnormal|odd|out of the ordinary) (on site|across"
    " the site|in the plant|on the farm|in the building) [<now>|today]",
    "(anything|something) (unusual|abnormal|odd|strange) (going on|happening) (on site|in the"
    " plant|on the farm|in the building|anywhere) [<now>]",
    "is everything (normal|ok|running normally|in order) (on site|across the site|in the plant"
    "|on the farm|in the building) [<now>]",
    "(are there|any) (anomalies|irregularities|abnormal readings) (on site|across the site|in"
    " the plant|anywhere) [<now>|today]",
    "has anything (unusual|abnormal|odd) (come up|been flagged|been raised) [today|<now>]",
    "I('d| would) like to (see|know) the (active|open|current) <alarm> [<pls>]",
    "I('d| would) like to know (if|whether) there are any <alarm> [<now>]",
)
ESCALATE_EIGHTH = (
    "I('d| would) like to know why {act} (stopped|tripped|keeps stopping|is off)",
    "I('d| would) like to understand how {act} works",
    "I('d| would) like (advice|a recommendation) on (setting|running|servicing) {act}",
    "what is the working principle of {act}",
    "explain (how|the way) {act} (works|operates|is controlled)",
    "how does the {kind} (control|regulation|loop) (on|for|in) {area} work",
    "can you tell me how {act} (works|operates)",
    "how do <things> like {act} work",
    "why is there (something|anything) (unusual|abnormal|odd) (with|about) {act}",
    "is anything (unusual|abnormal) about the {kind} (in|at) {area}, and why",
    "I('d| would) like to know what to do (about|with) {act}",
    "how exactly does {act} work",
    "what makes {act} (work|run|switch on)",
    "I want to know if it's safe to (work on|service|touch) {act}",
)
