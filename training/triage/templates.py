"""Phrasing templates of our own for industrial, building and agricultural IoT requests.

Syntax: ``(a|b)`` picks one alternative, ``[x]`` is optional, ``{slot}`` is filled from
:mod:`training.triage.vocab`. Templates are split by index into training, validation and
held-out sets, so held-out phrasings never occur in training. Training-only.
"""

from __future__ import annotations

# Shared lexicon: a template says <on> and any of these may appear, so a held-out template
# differs from training ones in structure, not in which verbs the model has ever seen.
MACROS = {
    "on": "turn on|switch on|start|power up|fire up|activate|enable|start up|spin up|kick on"
          "|bring online|engage|resume|run",
    "off": "turn off|switch off|stop|shut down|power down|kill|deactivate|disable|cut|halt"
           "|shut off|cut power to|take offline",
    "set": "set|put|run|change|adjust|move|bring|make|drive|tune|hold|keep|configure",
    "up": "raise|increase|bump up|ramp up|turn up|push up|boost|up",
    "down": "lower|decrease|reduce|drop|turn down|dial down|throttle|cut back|bring down",
    "open": "open|open up|crack open|unlock|release",
    "close": "close|shut|close off|seal|lock",
    "what": "what is|what's|whats|tell me|give me|show me|show|display|get|check|read|report"
            "|look up|let me know|do you know|can you tell me|I need|fetch|what does",
    "now": "now|right now|at the moment|currently|at present|this minute|just now",
    "hist": "history|log|trend|record|data|readings|stats|statistics|series|values|chart",
    "list": "list|show|show me|enumerate|give me|display|tell me|print|report",
    "devs": "devices|sensors|actuators|pumps|valves|fans|meters|heaters|lights|equipment"
            "|things|controllers|probes|motors|machines",
    "alarm": "alarms|alerts|warnings|faults|alarm conditions|errors|trips|incidents|alarm states",
    "state": "status|state|reading|value|level|condition|position|setting",
    "is": "is|are|was|has",
    "in": "in|at|on|inside|for|of|across|around",
    "pls": "please|pls|kindly|thanks|now|asap|for me",
    "ask": "what's|what is|whats|tell me|give me|show me|can you tell me|could you tell me"
           "|I'd like to know|I want to know|let me know|check|read|get me|pull up|fetch"
           "|do you know|quick check on|I need|report|display|what is the value of",
    "things": "pumps|fans|valves|heaters|lights|chillers|compressors|boilers|sensors|motors"
              "|cooling towers|dampers|sprinklers|conveyors|blowers|dryers",
    "turn": "turn|switch|flip|set|put|power|shut",
    "why": "why|how come|why on earth|any idea why|can you explain why|do you know why",
}

QUERY_STATE = (
    "<what> the {kind} <in> {area}", "<what> the [current|present] {kind} <in> {area} [<now>]",
    "<what> {sensor} [reading|value]", "is {act} (on|off|running|open|closed|stopped) [<now>]",
    "<what> the {kind} (of|at|from) {sensor}", "how (hot|warm|cold|cool) is {area} [<now>]",
    "how full is {sensor}", "<state> of {dev}", "is {act} (open|closed|shut) [or not]",
    "check {dev} [for me]", "<what> the (latest|current|last) <state> (from|of) {sensor}",
    "what does {sensor} (say|read|show)", "{dev} <state>", "<what> the level in {sensor} [<now>]",
    "how (humid|dry|loud|bright) is it in {area}", "what is {act} set to",
    "what speed is {act} running at", "is {act} still (on|running|open)",
    "are the (lights|fans|pumps|heaters) in {area} (on|off|running)",
    "latest {kind} (value|reading) for {area}", "read {sensor}", "current {kind} {area}",
    "how much power is {act} (drawing|using) [<now>]", "{kind} <in> {area} <now>",
    "<what> the {kind} reading on {sensor}", "is {act} (currently|still|) (active|enabled|on)",
    "what position is {act} in", "<what> the {kind} for {area}",
    "whats {sensor} at", "<what> the {kind} in {area} please",
    "what is {sensor} measuring [<now>]", "how (high|low) is the {kind} in {area} [<now>]",
    "current <state> of {act}", "(has|did) {act} (started|stopped|turned on|turned off)",
    "{area} {kind} [<pls>]",
    "what's {act} doing [<now>]",
    "is there (flow|pressure|power) <in> {dev}",
    "<what> the {kind} (level|value) <now> in {area}", "how many degrees is it in {area}",
    "(check|look up|poll|query) the {kind} of {sensor}", "current reading {sensor}",
    "is {act} on or off",
    "how (open|closed|fast) is {act}",
    "<what> the <state> <in> {sensor} [<now>]",
    "<what> {sensor}'s (value|reading|level)", "give me a (reading|status update) (from|on) {dev}",
    "what (temperature|humidity|pressure|level) (is|does) {sensor} (show|report)",
    "{sensor} value <now>", "i (want|need|would like) to know the {kind} <in> {area}",
    "how is {dev} (doing|running|reading) <now>", "<what> the live {kind} (in|of) {area}",
)
QUERY_HISTORY = (
    "what was the {agg} {kind} <in> {area} {window}",
    "<what> the {kind} <hist> for {sensor} {window}",
    "(max|maximum|peak|highest) {kind} <in> {area} {window}",
    "how did the {kind} <in> {area} (change|evolve|develop|vary) {window}",
    "(min|minimum|lowest) {kind} {window} <in> {area}",
    "total (energy|power|water|gas) used by {act} {window}",
    "(plot|graph|chart) the {kind} <in> {area} (for|over) the last {n} (hours|days|minutes)",
    "<hist> of {sensor} {window}", "{agg} {kind} {window}", "{kind} <in> {area} {window}",
    "<what> the {agg} {kind} for {sensor} {window}",
    "has the {kind} <in> {area} (gone|been) (above|below|over|under) {value} {window}",
    "was {act} (running|on|open) {window}", "how long was {act} (on|running|open|off) {window}",
    "<what> (readings|values|data) from {sensor} (for|over) the last {n} (hours|days|weeks)",
    "how many times did {act} (switch on|start|trip|cycle|stop|open) {window}",
    "(summarise|summarize|summary of) {sensor} (readings|data|values) {window}",
    "what (were|was) the {kind} (values|readings) {window} <in> {area}",
    "<list> the {kind} <hist> for {area} {window}", "{agg} of {sensor} {window}",
    "what was the {kind} <in> {area} {window}",
    "(is|has) the {kind} <in> {area} [been] (rising|falling|going up|going down|climbing) {window}",
    "how much (water|energy|gas|feed|power) did {act} (use|consume|draw) {window}",
    "{sensor} {agg} {window}", "did the {kind} (drop|fall|go) below {value} {window}",
    "what was the (highest|lowest|average) {kind} reading {window}",
    "(average|mean) {kind} [per hour] {window} for {area}",
    "<what> the {kind} <hist> of {area} {window}",
    "how (variable|stable|steady) was the {kind} {window} <in> {area}", "{kind} <hist> {window}",
    "how has {sensor} trended {window}", "<what> the {agg} reading of {sensor} {window}",
    "total runtime of {act} {window}", "<what> {window} of {kind} <hist> (for|from) {area}",
    "{agg} {kind} <in> {area} {window} [<pls>]", "<what> the {kind} {window} <in> {area}",
    "what did {sensor} (read|measure|record|report) {window}",
    "how (much|far) did the {kind} (rise|drop|change) {window}",
    "(export|dump) {sensor} <hist> {window}",
    "when was the {kind} <in> {area} (highest|lowest) {window}",
)
SET_ACTUATOR = (
    "<on> {act} [<pls>]", "<off> {act} [<pls>]", "<open> {act}", "<close> {act}",
    "<set> {act} to {value}", "<up> {act} (by|to) {value}", "<down> the {area} setpoint to {value}",
    "<set> the (temperature|temp|humidity|setpoint) <in> {area} to {value}",
    "<set> {act} (on|at) {value}",
    "{act} (on|off)",
    "<up> {act} speed to {value}",
    "(dim|set|bring) the lights <in> {area} to {value}",
    "(can|could|would) you <on> {act} [<pls>]", "(can|could|would) you <off> {act} [<pls>]",
    "please <open> {act} to {value}", "<set> [the] flow (on|of|through) {act} to {value}",
    "<set> [the] (pressure|level|speed) setpoint of {act} to {value}", "turn {act} (on|off)",
    "run {act} at {value}", "<down> {act} to {value}", "go ahead and <off> {act}",
    "go ahead and <on> {act}", "<set> {act} (speed|output|position) to {value}",
    "(turn|dial) (up|down) {act} to {value}", "make {act} (run|go) at {value}", "{act} to {value}",
    "<open> {act} (fully|all the way|completely|halfway)", "<off> (all|) the lights <in> {area}",
    "<on> the (pumps|fans|conveyor|heating|lights) <in> {area}",
    "<set> {area} (heating|cooling) to {value}",
    "<down> {act} to {value} [<pls>]", "<close> the (vents|valves|shutters|doors) <in> {area}",
    "i (want|need) {act} (on|off|open|closed)", "{act} (needs|has) to be (on|off|open|closed)",
    "(throttle|limit|cap) {act} to {value}", "<off> {act} (now|immediately|right away)",
    "<on> {act} (now|immediately|right away)", "<set> {act} [to] (on|off)",
    "<up> the {area} (temperature|setpoint|humidity) to {value}",
    "<open> the (vents|valves|shutters) <in> {area}",
    "i'd like {act} (switched|turned) (on|off)", "<set> {act} to (full|half|max|min) [power|speed]",
    "change {act} from {value} to {value}", "let's (start|stop|open|close) {act}",
    "<on> {act} at {value}", "(get|have) {act} (running|going|started|stopped)",
)
LIST_DEVICES = (
    "<list> (all|) [the] (devices|equipment)", "what <devs> are (there|installed) <in> {area}",
    "which <devs> (do you have|are connected|are online|exist)", "<list> all [the] <devs>",
    "what (actuators|devices|<devs>) can I control", "<list> [the] <devs> [in {area}]",
    "what's connected [to the gateway|here]", "what <devs> are <in> {area}",
    "<list> the <devs>", "how many <devs> are (online|connected|registered)",
    "which {kind} <devs> (are there|do we have)", "what can you control <in> {area}",
    "<list> the device list",
    "(device|equipment|sensor) inventory",
    "what is installed <in> {area}",
    "<list> a list of (every|all) <devs>", "which <devs> (report|measure) {kind}",
    "what <devs> do you know about", "<list> actuators", "what is on this gateway",
    "<list> all (registered|known|available) <devs>", "what <devs> do we have [for {kind}]",
    "name all the <devs> <in> {area}",
    "which <devs> (exist|are there)",
    "what hardware is connected",
    "<list> (everything|all <devs>) <in> {area}",
    "(tell me|show me) what <devs> you (see|manage|know)",
    "(which|what) <devs> are (there|registered|available) <in> {area}",
    "what <devs> report (to you|here)", "how many <devs> (are there|do you manage)",
    "<list> the (ids|names) of the <devs>", "(do you have|are there) any <devs> <in> {area}",
    "which <devs> can you (read|see|switch)", "<list> <devs> by (area|kind|zone)",
    "any <devs> (offline|down|silent|not reporting)",
    "which <devs> have (gone quiet|stopped reporting)",
)
LIST_ALERTS = (
    "any <alarm>", "<list> [the] (active|current|open) <alarm>", "<list> <alarm> <in> {area}",
    "are there any <alarm> [<now>]", "what <alarm> (fired|went off|triggered) {window}",
    "which <devs> are in alarm", "<list> [the] <alarm>", "(any|are there) problems <now>",
    "what's alarming",
    "(open|active) <alarm> (for|on) {dev}",
    "<list> (critical|high priority|urgent) <alarm>",
    "did anything (go wrong|alarm|trip) {window}", "(unacknowledged|pending|outstanding) <alarm>",
    "(active|current) <alarm> on {dev}",
    "(what|which) <alarm> are (active|open|raised)", "(alarm|alert) (list|summary|status)",
    "<list> the (alert|alarm) log {window}", "is anything (in alarm|out of range|faulty)",
    "which readings are out of (range|limits|bounds)", "(any|list) <alarm> (in|from) {area}",
    "what needs (my|) attention [<now>|today]",
    "(has|have) any <alarm> (gone off|tripped) {window}",
    "<list> (all|) (current|) <alarm>", "(anything|any issues) I should know about [<now>]",
    "are there <alarm> on {dev}",
    "(status|list) of [the] <alarm>", "(what|which) <alarm> are (still|) active <in> {area}",
    "(check|look) for <alarm>", "how many <alarm> are (active|open) [<now>]",
    "is everything (ok|okay|fine|normal) (with the alarms|on the alarm panel)",
    "<what> the alarm (panel|board|list)", "anything (broken|faulty|in fault) <now>",
)

# Second generation: question frames, terse forms and wrappers the first set lacked.
QUERY_STATE_MORE = (
    "{kind} {area}", "{area} {kind}", "{kind} <in> {area}", "{sensor}", "{dev} status",
    "{sensor} reading", "{kind} (of|at|on|from) {sensor}", "{sensor} {kind}",
    "<ask> the {kind} (in|at|of|for|on) {area}", "<ask> {area}'s {kind}", "<ask> {sensor}",
    "how (high|low|much) is the {kind} (in|at|on) {area} [<now>]",
    "how (warm|hot|cold|humid|dry) is it (in|at|on) {area} [<now>]",
    "is {act} (running|on|off|open|closed|stopped|active) [<now>]", "is {act} (on|off) or not",
    "what's the {kind} like (in|at) {area}", "how's the {kind} (in|at|on) {area}",
    "how is the {kind} looking (in|at|on) {area}", "(status|state) (of|for) {act}",
    "{act} (running|on|open)", "what (is|'s) {act} (set to|doing|at)",
    "current {kind} (of|for|at) {sensor}", "<ask> the (current|latest|live) {kind} (in|at) {area}",
    "[hey] what's the {kind} (in|at|over in) {area} [<now>]", "(reading|value) (of|from) {sensor}",
    "what is {area} at [<now>]", "tell me how (warm|cold|humid) {area} is",
    "is {act} (switched|turned) (on|off)", "are {act} and {act2} (running|on|off)",
    "what level is {sensor} at", "how full is {sensor} [<now>]", "{kind} (right now|now) {area}",
    "what does {sensor} say [<now>]", "quick {kind} check (in|on) {area}",
    "i (need|want) the {kind} (in|at|of) {area}", "{kind} please (in|for) {area}",
    "<ask> {sensor} [<now>] [<pls>]", "could you check the {kind} (in|at|on) {area} [<pls>]",
    "is {act} still (going|running|on|open)", "what's the (reading|value) on {sensor}",
    "how (fast|hard) is {act} running", "what's the {kind} (reading|value) [<now>] (in|at) {area}",
)
QUERY_HISTORY_MORE = (
    "{agg} {kind} (in|on|at|for) {area} (over|in|during) the last {n} (hours|minutes|days)",
    "(average|mean|min|max|peak|lowest|highest) {kind} (in|on|at|of) {area} {window}",
    "<ask> the {agg} {kind} (in|on|at) {area} {window}",
    "how did the {kind} (in|at|on) {area} change {window}", "(trend|history) of {sensor} {window}",
    "{kind} trend (in|for|at) {area} {window}", "(show|graph|plot) {sensor} {window}",
    "was the {kind} (in|at) {area} (higher|lower|above|below) (than|) {value} {window}",
    "was {act} (on|running|open|off) {window}",
    "how long (was|did) {act} (run|on|running) {window}",
    "{kind} (history|log) (for|of|in) {area}", "{sensor} (history|log|trend)",
    "what was the {kind} (in|at) {area} {window}", "what did {sensor} read {window}",
    "what were the (highest|lowest|average) {kind} (readings|values) {window}",
    "how many (times|hours) did {act} (run|start|cycle|switch on) {window}",
    "{agg} {kind} {window} [<pls>]", "(give me|show me) the {kind} (over|for) {window}",
    "how (much|far) has the {kind} (in|at) {area} (risen|dropped|changed) {window}",
    "when did the {kind} (in|at) {area} (peak|bottom out) {window}",
    "(average|mean) (of|for) {sensor} {window}", "{sensor} {window}",
    "did {act} (run|start|stop|trip) {window}", "energy used by {act} {window}",
    "[<ask>] {kind} (values|readings|data) (for|from) {area} {window}",
    "was {act} (on|open|running|off|closed) (at any point|at all|) {window}",
    "has {act} been (on|running|open|off) {window}", "did {act} (run|come on|open) {window}",
    "(was|were) the {kind} (in|at|on) {area} (above|below|over|under) {value} {window}",
    "has the {kind} (in|at|on) {area} (exceeded|dropped below|stayed under) {value} {window}",
)
SET_ACTUATOR_MORE = (
    "<turn> {act} (on|off)", "<turn> (on|off) {act}", "{act} (on|off) [<pls>]",
    "<set> {act} (to|at) {value} [<pls>]", "<up> {act} (to|by) {value}",
    "<down> {act} (to|by) {value}", "{act} to {value} [<pls>]", "{act} (up|down) to {value}",
    "bump {act} up (to|by) {value}", "<set> the {kind} (in|on|at) {area} to {value}",
    "<open> {act} [<pls>]", "<close> {act} [<pls>]", "<on> {act} [<now>]", "<off> {act} [<now>]",
    "can you <on> {act}", "could you <off> {act}", "please <set> {act} to {value}",
    "i need {act} (at|set to) {value}", "put {act} (on|at) {value}", "(start|stop) {act}",
    "(power|shut) (up|down) {act}", "{act} (open|close|start|stop)", "(open|close) {act} fully",
    "(open|close) {act} to {value}", "(increase|decrease|raise|lower) the {kind} (in|on) {area}"
    " (to|by) {value}", "<set> {area} (to|at) {value}", "turn the {kind} (in|on) {area} (up|down)"
    " to {value}", "go to {value} on {act}", "(run|drive) {act} at {value}",
    "i('d| would) like {act} (turned|switched|set) (on|off|to {value})",
    "(i want|i need|let's have|get) {act} (on|off|open|closed|at {value})",
    "{act} (should|must|needs to) (be|go) (on|off|open|closed|to {value}) [<now>]",
    "(make|leave|keep) {act} (on|off|open|closed) [<pls>]", "{act}: (on|off|open|close)",
)
LIST_DEVICES_MORE = (
    "what devices (are there|do you have|are connected|are online)", "which sensors are there",
    "list the <devs>", "what's connected", "show (me|) all [the] <devs>", "device list",
    "(list|show) [the] <devs> (in|on|at) {area}", "what (sensors|devices|actuators) are (in|on)"
    " {area}", "what is connected to (this gateway|you|the gateway)", "(inventory|devices)",
    "what can you (control|see|monitor|switch)", "which {kind} sensors (are there|exist)",
    "how many (sensors|devices|actuators|<devs>) do you have", "list everything [you know]",
    "what (equipment|hardware) is (in|on) {area}", "(tell me|show me) the <devs> you have",
    "what do you have connected", "<list> the <devs> on this (site|gateway)",
    "what (pumps|valves|fans|sensors) do we have", "devices (in|on) {area}",
    "which <devs> (are|have gone) (offline|silent|quiet|dead)", "(list|show) offline <devs>",
    "(any|which) <devs> (not reporting|without data|stuck)", "what's offline [<now>]",
    "<devs> that (stopped reporting|went offline|lost connection)", "is anything offline",
)
LIST_ALERTS_MORE = (
    "any <alarm> [<now>]", "what's wrong", "what is wrong (right now|now|today|)",
    "active (warnings|alarms|alerts)", "anything out of range", "are there (alerts|alarms)",
    "(show|list) [the] <alarm>", "current (faults|alarms|alerts)", "is anything in alarm",
    "<list> <alarm> (in|on|for) {area}", "any problems [<now>]", "what needs attention",
    "(any|are there) active <alarm> (in|on) {area}", "what's (going wrong|broken|alarming)",
    "do we have any <alarm>", "anything (wrong|abnormal|off) [<now>]", "(alarms|alerts)?",
    "any (sensors|readings) (out of range|outside limits)", "are any <devs> (faulty|in alarm)",
    "what (alarms|alerts) (are|have) (active|triggered|fired) [<now>]",
    "(any|which) (sensors|readings) (are|look) (abnormal|off|out of limits)",
)

# Fourth generation: phenomena that reached only one fold (so training never saw them), written
# several ways in a row so that consecutive indices spread each one over every fold; terse
# status forms, polite openers and closers, and requests of two sentences.
QUERY_STATE_FOURTH = (
    "{kind} {area} [<pls>]", "show [me] [the] {kind} (in|for|at|of) {area}", "{area} {kind} please",
    "(display|pull up|give me|get me) the {kind} (in|of|for|at) {area}", "{kind} (in|at) {area}?",
    "{kind} for {area} (please|pls|thanks|thx)", "[the] {kind} level (in|at|of) {area}",
    "(hi|hello|morning|hey there)(,|.|!) <what> the {kind} (in|at|on) {area}",
    "<what> the {kind} (in|at) {area}(?|.) (thanks|cheers|thank you)",
    "(sorry to bother you|quick one|one question)(,|.|:) is {act} (on|running|open)",
    "{sensor} (status|state|now|reading please)", "(status|reading|value|level) {sensor}",
    "what's {act}'s (status|state)", "(give me|show me|show) [the] status (of|for|on) {act}",
    "(current|latest|live) {kind} (in|at|for) {area} [<pls>]", "[the] {kind} (in|at) {area} now",
    "is {act} (active|enabled|powered|working|on) [right now]", "how's {dev} (looking|doing)",
    "tell me the {kind} (in|at|on) {area}",
    "I'd like the {kind} (reading|value) (for|in|at) {area}",
    "(read|poll|query) {dev} [<now>]", "what's the (status|state) of {act}",
    "(check|look at) {sensor} [<pls>]", "{dev} (status|state) [<pls>]",
    "(could|can) you (show|tell) me the {kind} (in|at|on) {area} [<pls>]",
    "(please|pls|kindly) (show|give) me the {kind} (in|for|at) {area}",
    "{area} (status|conditions) [<now>]", "what's it like in {area} [<now>]",
)
QUERY_HISTORY_FOURTH = (
    "<what> the {kind} (stats|statistics) (of|for) {sensor} {window}",
    "(plot|graph|chart) [the] {kind} (in|for|at) {area} {window}",
    "{kind} (in|at) {area} {window}?", "(hi|hello|morning)(,|.|!) {agg} {kind} (in|at) {area}"
    " {window}", "how (did|has) {sensor} (done|behaved|looked) {window}",
    "show me {sensor} {window} [<pls>]", "{agg} {kind} (of|for|at) {sensor} {window} [<pls>]",
)
SET_ACTUATOR_FOURTH = (
    "(limit|cap|clamp|restrict) {act} (to|at) {value}", "(limit|cap) the (speed|output|flow|power)"
    " of {act} to {value}", "(throttle|limit) {act} (back|down) to {value}",
    "<set> {act} to (full|half|max|min|maximum|minimum) [power|speed|output]",
    "(run|put) {act} (at|on) (full|half|max|min) [power|speed]",
    "{act} to (full|half|max|min) [power|speed]",
    "{act} (on|off|open|closed) (please|pls|thanks|now)",
    "(i want|i need|we need|get|have) {act} (on|off|open|closed|running|stopped)",
    "(hi|hello|morning|hey)(,|.|!) <on> {act} [<pls>]",
    "<off> {act}(.|!) (thanks|cheers|thank you)",
    "(sorry|excuse me|quick one)(,|.) (can|could) you <off> {act}",
    "(please|kindly|pls) <on> {act}",
    "<off> {act} (please|pls|kindly|thanks)", "<on> (the|my|our) {act}",
    "(can|could|would) you [please|kindly] <set> {act} to {value}",
    "<down> {act} (to|by) {value} [<pls>]", "go ahead and <set> {act} to {value}",
    "(please|kindly) <up> {act} to {value}", "set [the] {area} setpoint to {value}",
    "<up> the {area} setpoint (to|by) {value}", "(change|move) the setpoint (of|for|in) {area} to"
    " {value}", "(would you mind|could you) (turning|switching) (on|off) {act}",
    "(i'd like|i want) {act} (at|set to|on) {value}",
    "<close> {act} (please|now|fully|all the way)",
)
LIST_DEVICES_FOURTH = (
    "(which|what) <devs> are (available|registered|installed|present) (in|on|at|across) {area}",
    "(show|list|give me) [the] (available|registered|known|installed) <devs>",
    "<devs> (in|on|at) {area}", "(device|sensor|equipment|asset) (list|inventory|register)",
    "what (hardware|equipment|sensors|devices) (is|are) (connected|attached|linked) [to you|here]",
    "what (do|can) you (see|monitor) (in|on|at) {area}", "(how many|which) <devs> are (in|on|at)"
    " {area}", "(hi|hello)(,|.|!) <list> [all] [the] <devs>", "<list> [the] <devs>(.|!) thanks",
    "(show|list|get) (offline|disconnected|silent|unreachable) <devs>",
    "(which|what) <devs> are (offline|not responding|disconnected)",
)
LIST_ALERTS_FOURTH = (
    "(current|open|active|outstanding) <alarm> (on|for|at) {dev}", "<alarm> (for|on|at) {dev}"
    " [<now>]", "(does|has) {dev} (have|got) [any] <alarm>",
    "(list|status of|show) [all] (current|open|active) (faults|trips|errors|alarms)",
    "(do|did) we (have|get) [any] <alarm> [<now>|today]", "any <alarm> (in|on|at|from) {area}"
    " [<now>]", "status of [the] <alarm>", "(hi|hello|morning)(,|.|!) any <alarm> [<now>]",
)

# Fifth generation: commands to a group ("turn off all the pumps") and to several named devices
# ("turn off pump 2 and pump 9"), alternating so that every fold gets both. They are one command
# each: the resolver answers them (a group needs `[policy] group_actions`; an unknown name is
# a clarifying question), while a second *command* after "and" still escalates (``compose``).
SET_ACTUATOR_FIFTH = (
    "<off> all [the] <things> [<in> {area}]", "<off> {act} and {act2} [<pls>]",
    "<on> all [the] <things> <in> {area}", "<on> {act} and {act2}",
    "<turn> (off|on) (all|both|every one of) [the] <things>", "(open|close) {act} and {act2}",
    "<close> all [the] (valves|dampers|shutters|vents) [<in> {area}]",
    "<off> both {act} and {act2}",
    "<off> every (pump|fan|heater|light|motor|valve) <in> {area}",
    "<turn> (on|off) {act}, {act2} and {act2}",
    "(stop|start) all [the] <things> [now|<pls>]", "<set> {act} and {act2} to {value}",
    "(can|could) you <off> all [the] <things> [<in> {area}]", "{act} and {act2} (on|off) [<pls>]",
)

# Sixth generation (triage-2.4): what users type that the templates lacked, written several ways
# in a row so that every fold gets each. One command to two existing devices, in every form the
# fifth generation had only a few of ("turn off pump 2 and valve 4" was right at 0.69); terse
# and polite commands; devices named by a noun without a number ("the skylight", "the freezer in
# hall B"); "status of X", "how warm is it in the barn", "currently" / "right now" questions.
QUERY_STATE_SIXTH = (
    "what is the {kind} in {area}", "how (warm|cold|hot|humid) is it"
    " in {area} (currently|right now|at the moment|now)", "is {act} (open|closed|on|off) [<now>]",
    "(status|state) of {act} (currently|right now|now)", "what is the {kind} (in|at) {area}?",
    "(could|can|would) you (please|kindly) tell me the {kind} (in|at|of) {area}",
    "what's the {kind} (currently|right now) (in|at) {area}", "{dev} status?",
    "what is the {kind} (currently|right now|at the moment) (in|at) {area}",
    "is {act} (currently|still) (open|closed|running|on|off)", "what is {sensor} reading [<now>]",
    "how (warm|cold) is {area} (currently|right now|today)", "what is the current {kind} in {area}",
    "(hey|hi|hello)(,|) what does {sensor} (say|read|show) [<now>]",
    "what (temp|temperature) is {sensor} (holding|at|reading) [<now>]",
    "{dev} {kind}?", "(please|kindly) check {dev}",
    "what's the {kind} (through|across|on|in) {dev} [<now>]",
    "any idea what the {kind} (in|on|at) {area} is [<now>]",
    "do you know (if|whether) {act} is (open|on|running|closed)",
    "what is the {kind} in {area} please", "(I'd like|I want|I need) the status of {dev}",
    "is {act} (open|running|on) or (closed|stopped|off)", "how much is {sensor} (showing|reading)",
    "what's (happening|going on) with {dev} [<now>]",
    "what is the {kind} in {area} (now|right now|currently)",
)
SET_ACTUATOR_SIXTH = (
    "<off> {act} and {act2}", "{act} off", "<on> {act} and {act2} [<pls>]", "{act} on [<pls>]",
    "<close> {act} and {act2} [<pls>]", "(please|pls|kindly) <off> {act}",
    "(can|could|would) you <off> {act} and {act2} [<pls>]", "<off> {act} (now|please|thanks)",
    "{act} and {act2} off [<pls>]",
    "<turn> {act} and {act2} (off|on)",
    "(please|kindly|pls) <on> {act} and {act2}",
    "(could|would|can) you (please|kindly) <close> {act}",
    "<off> {act} as well as {act2}", "<set> {act} to {value} (please|thanks|pls)",
    "<open> {act} and {act2} [<now>]",
    "<off> {act} & {act2}", "<on> {act} (right now|now|immediately)",
    "<off> {act}, {act2} [<pls>]",
    "(please|kindly) (open|close) {act} and {act2}", "(switch|turn) {act} off [<pls>]",
    "<on> both {act} and {act2} [<now>]",
    "{act} and {act2} (on|off|open|closed) (please|now|thanks)",
    "i need {act} and {act2} (off|on|closed|open)",
)
LIST_DEVICES_SIXTH = (
    "which <devs> are (offline|disconnected|not connected|not reporting) [<now>]",
    "(which|what) (probes|sensors|meters) (are|have gone) (offline|disconnected|silent)",
    "(list|show) [the] <devs> (that are|) (offline|disconnected|unreachable) [<now>]",
    "(which|what) <devs> (aren't|are not) (reporting|responding|connected) [<now>]",
    "what's (disconnected|offline|not responding) [<now>]",
)

# Seventh generation (triage-2.5), appended: the kinds of phrasing 2.4 missed on the older
# hand-written sets, by category and not by sentence: what kind a sensor "has", a part of a
# named device ("the fan in ahu 3"), "X: open or closed", movement verbs ("is X turning"),
# how much is left in a container, kinds qualified by where they are measured ("the return
# temperature of ..."), "as of now", and what one can switch from here.
QUERY_STATE_SEVENTH = (
    "(tell me|do you know|can you check) what {kind} {sensor} (has|shows|is showing) [<now>]",
    "is the (fan|motor|heater|pump|burner|blower|stirrer|compressor) (in|on|of) {dev}"
    " (on|running|going) <now>",
    "{act}(:|,) (open|on|running) or (closed|shut|off|stopped)",
    "is {act} (moving|turning|spinning|working|pumping) (at the moment|right now|currently|now)",
    "how much (water|feed|fuel|grain|product) (is left|remains) in {sensor} (now|right now"
    "|at the moment)",
    "<what> the (inlet|outlet|return|suction|exhaust|ambient|surface|core) {kind} (on|at|of"
    "|for) {dev} [<now>]",
    "{kind} (of|in|at|for) {area}(,|) (as things stand|as it stands|at this point in time)",
    "what {kind} has {sensor} got [<now>]",
    "is the (fan|motor|heater|pump|burner|blower|stirrer) (on|running|going) (in|on) {dev}",
    "how much (water|feed|fuel|grain|product) does {sensor} (still have|have left)",
    "{dev} (inlet|outlet|return|exhaust|ambient) {kind} [<now>]",
    "is {act} (open|on) or (shut|off) (at the moment|right now|now)",
)
SET_ACTUATOR_SEVENTH = (
    "<off> the (fan|motor|heater|pump|burner|blower|stirrer|compressor) (in|on|of) {dev} [<pls>]",
    "<on> the (fan|motor|heater|pump|burner|blower|stirrer|compressor) (in|on|of) {dev} [<pls>]",
    "turn the (fan|motor|heater|pump|burner|blower|stirrer) (in|on|of) {dev} (on|off)",
    "(start|stop) the (irrigation|heating|cooling|extraction) (in|on|for) {area} [<pls>]",
)
LIST_DEVICES_SEVENTH = (
    "what (am I able to|is there to) (control|switch|operate) [from here|remotely]",
    "what can I (switch|operate|turn on and off) (from here|remotely|through you)",
    "(show|list) [me] every (pump|valve|fan|sensor|probe|heater) (you know of|you can see"
    "|you manage|on site)",
    "which (pumps|valves|fans|sensors|probes|heaters) do we have (on site|here|in total)",
    "how many (temperature|humidity|pressure) (sensors|probes) are (installed|fitted|in place)"
    " (in|on|at) {area}",
)
