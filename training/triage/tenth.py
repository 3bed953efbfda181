"""English templates of the tenth generation (triage-2.8), appended after all older ones.

Written by category from how operators talk, not from any evaluation sentence: "can you check
whether X is running", "X: on or off?", "up or down", shorthand kinds ("temp", "rh"), "how many
... have we got", "what's hooked up to ...", spoken run-ons ("hey so what's ..."), the object
first ("pump 3 - kill it"), "fire up / knock off / shut X down", a device named by a place
("the lights in the corridor"), and hard negatives in the same shapes (a vague amount of a
kind, "is it worth ...", "how often should ..."). Each tuple is appended to its intent
in ``corpus.TEMPLATES``; a family has siblings in several folds (index % 7).
Conditions, negated commands, a command for later and "X a bit higher" on a device are
left to ``edge_agent.triage.guards``, which escalates them whatever the model reads: as
templates they shared the plain commands' words and cost those confidence (candidate 2.8-a).
Training-only.
"""

from __future__ import annotations

QUERY_STATE_TENTH = (
    "can you (check|see|find out) (whether|if) {act} is (running|on|open|up) [<pls>]",
    "{act}(:| -) (on or off|open or closed|up or down|running or not)",
    "(hey|ok|so) (what's|what is) the {kind} (in|at) {area} [<now>]",
    "(quick one|quick question)(,|:) (what's|what is) {sensor} (reading|showing|at)",
    "what's the (temp|rh) doing (in|at) {area} [<now>]",
    "is {act} (up|down|raised|lowered) [<now>]",
    "how (warm|cold|humid) is it (in|at) {area} (right now|at the moment|currently)",
    "what('s| is) {sensor} (sitting at|at|showing) [<now>]",
    "(give|get) me the {kind} (in|at|for) {area} [<pls>]",
    "(is|are) {act} still (going|running|on) [or not]",
    "where is {sensor} at [<now>]",
    "(any idea|do you know) what the {kind} is (in|at) {area} [<now>]",
    "{area} {kind} [<pls>|<now>]",
    "what's the {kind} (like|looking like) (in|at) {area} [<now>]",
)
QUERY_HISTORY_TENTH = (
    "how (high|low) did the {kind} (in|at) {area} (get|go) {window}",
    "what (did|was) {sensor} (read|show|reading|showing) {window}",
    "(was|did) {act} (running|on|run) {window}",
    "(peak|lowest|highest) {kind} (in|at) {area} {window}",
    "how much (power|energy|electricity) did {act} (use|draw|pull) {window}",
    "(pull|dig) up the (readings|numbers|data) (for|from) {sensor} {window}",
    "how many times did {act} (trip|cycle|start) {window}",
    "{window}(,|:) what was the {kind} (in|at) {area}",
)
SET_ACTUATOR_TENTH = (
    "(fire up|crank up|kick on) {act} (for me|real quick)",
    "(knock off|shut down|kill|cut) {act} (for me|real quick|<now>)",
    "{act}(:| -) (kill it|shut it off|turn it off|turn it on|open it|close it) [<pls>]",
    "(can|could|would) you (shut|switch|turn) {act} (off|on|down) [<pls>]",
    "(turn|switch|flip) (on|off) the lights (in|at) {area}",
    "(put|set|bring) {act} (to|at|on) {value} [<pls>]",
    "(raise|lower|drop) {act} [<pls>|<now>]",
    "I need {act} (off|on|open|shut|closed) [<now>|<pls>]",
    "(restart|reset|cycle) {act} [<pls>]",
    "go ahead and (turn off|turn on|open|close|stop|start) {act}",
)
LIST_DEVICES_TENTH = (
    "what('s| is) (hooked up|wired up) to the (gateway|controller) (in|at) {area}",
    "how many (sensors|probes|meters|pumps) have we got (in|at) {area}",
    "(which|what) (devices|sensors|probes) (aren't|are not) (reporting|responding|talking)",
    "(give|send) me (a|the) list of (devices|sensors|probes) [in {area}]",
    "(is|are) (anything|any devices|any probes) (dead|not talking|dropped off) [<now>]",
    "what (kit|gear|equipment) do we have (in|at) {area}",
)
LIST_ALERTS_TENTH = (
    "(any|are there) (unacknowledged|unacked) (alarms|alerts) (still open|outstanding|left)",
    "(has|did) (an|any) alarm (gone off|go off|tripped|trip) [today|in {area}]",
    "(which|what) alarms are still (active|open|up)",
    "(can you|could you) check (if|whether) there are [any] (alarms|alerts|faults)",
    "(do we have|are there) (faults|alarms) (in|at) {area} [<now>]",
    "anything (wrong|off|up) (in|at) {area} [<now>]",
)
ESCALATE_TENTH = (
    "(bump|nudge|turn) the {kind} (in|at) {area} (up|down) a (bit|little|touch)",
    "is it (worth|a good idea|smart) (turning off|running|shutting) {act} (overnight|<now>)",
    "how often should {act} be (serviced|greased|cleaned|inspected)",
    "(write|put together|draft) a (report|summary|writeup) (on|about) {area} for (the boss"
    "|management|tomorrow)",
    "(can you|could you) (check|find out) why {act} (won't|will not|doesn't) (start|come on|run)",
    "is it normal for {sensor} to (read|show) (that|so high|so low)",
    "what should {sensor} (normally|usually) (read|show)",
    "what (happens|would happen) if I (shut|turn off|close|open) {act} (<now>|while it's running)",
    "{act} (is making a weird noise|smells burnt|is leaking)(,|.) (what do I do|is that bad)",
    "leave {act} (on|off|running) (until|for) (monday|tonight|two hours)",
    "how much (does it|would it) cost to (run|leave on) {act} (all day|for a month)",
)
