"""Phrasing templates for requests the gateway must escalate, and their fillers.

Near-domain reasoning that mentions our devices (why, should, plan, compare, predict, explain),
multi-step, conditional and scheduled commands, general knowledge, chit-chat and garbage. Same
syntax as :mod:`training.triage.templates`; split by index the same way. Training-only.
"""

from __future__ import annotations

ESCALATE = (
    # near-domain reasoning that mentions our devices
    "why is {area} (warmer|colder|more humid|drier) than (last week|yesterday|usual)",
    "plan the (shutdown|start-up|startup|restart) of {area}",
    "should I (open|close|start|stop) {act} before the (storm|frost|heatwave|weekend)",
    "why did {act} (trip|stop|fail|turn off)",
    "explain why the {kind} in {area} keeps (rising|dropping)",
    "what could cause {act} to (vibrate|overheat|leak|make noise)",
    "why is {act} using more power than usual",
    "is it safe to (turn off|stop|open|close) {act} while {act2} is running",
    "compare {area} and {area2} and tell me which needs attention",
    "predict when {sensor} will be (empty|full)",
    "will {area} (overheat|freeze|flood) (tomorrow|tonight|this week)",
    "what happens if I (close|open|stop) {act}",
    "(diagnose|troubleshoot) {act}", "estimate the cost of running {act} for a (month|year|week)",
    "do I need to (service|replace|calibrate) {dev}", "is {act} about to fail",
    "is the {kind} in {area} (normal|ok|acceptable|too high|dangerous)",
    "what is the (ideal|best|right) {kind} for {topic}",
    "how can I reduce (energy use|costs|water use) in {area}",
    "what should I set {area} to for (tomatoes|lettuce|chickens|servers|curing concrete|seedlings)",
    "recommend a maintenance schedule for {act}", "why does {sensor} (drift|read wrong|show zero)",
    "(write|draft|prepare) a (report|summary|memo) (about|on) {area}"
    " (energy use|performance|incidents)",
    "<on> {act} and then (<open>|<close>) {act2} after {n} minutes",
    "(<on>|<off>) {act} if the {kind} (goes above|drops below) {value}",
    "(if|when|once) {sensor} (reads|goes over|hits) {value} (<on>|<off>) {act}",
    "(schedule|program) {act} to (turn on|start|stop) (every day|each morning|at 6am|on weekdays)",
    "(in {n} minutes|at (6|8|10) (am|pm)|tomorrow|later) (<on>|<off>) {act}",
    "(every|each) (hour|night) (cycle|run) {act} for {n} minutes",
    "prepare {area} for (frost|the storm|harvest|inspection|the holidays) (tonight|tomorrow|)",
    "what's the root cause of the {kind} spike in {area}",
    "how do I (calibrate|bleed|prime|reset) {act}",
    "can {act} handle {value}", "what (setpoint|temperature|humidity) do you recommend for {area}",
    "optimise (the schedule of|) {act} to (save energy|cut costs)",
    "why is {sensor} (offline|silent|not reporting)",
    "explain the {kind} pattern in {area} {window}",
    "is the {kind} trend in {area} (a problem|worrying)",
    "how long until {sensor} (runs dry|overflows) at this rate",
    "(figure out|work out) why {area} is (so hot|so cold|losing pressure)",
    "(design|suggest) a (control strategy|ventilation plan|watering plan) for {area}",
    "what would happen to {area} if {act} failed", "should I be worried about {sensor}",
    "(close|open) {act} unless {act2} is (running|open)",
    "first (stop|close) {act}, then (drain|flush|vent) {sensor}",
    "(walk me through|explain) (the|) (shutdown|lockout|restart) procedure for {act}",
    "how does {act} (work|affect the {kind} in {area})", "what is a {dev}",
    "who (installed|maintains|manufactured) {act}", "when was {act} last (serviced|replaced)",
    "(order|buy) a (new|replacement) {dev}",
    "(email|notify|call) (the|my) (manager|technician) about {act}",
    "is it (better|cheaper) to run {act} at night", "help me (debug|understand) {area}",
    "rank the (zones|lines|areas) by (energy|water) efficiency",
    "(forecast|predict) the {kind} in {area} (tomorrow|next week)",
    "what's wrong with {act}", "(<on>|<off>) {act} (and|then) (<on>|<off>) {act2}",
    "<set> {act} to whatever (is best|makes sense|you think)",
    "(<on>|<off>) {act} (when|once|after) {act2} (stops|starts|finishes)",
    "why (is|was|did) {act} (on|off|open|closed|running|stop)",
    "why is the {kind} <in> {area} so (high|low)",
    "what should the {kind} <in> {area} be",
    "do you think {act} should be (on|off|open|closed)",
    "why is nothing happening in {area}",
    "(turn|switch) everything off except {act}",
    # general knowledge, advice, explanations
    "(what is|explain|tell me about|define) {topic}",
    "how does {topic} work",
    "(who|what) invented {topic}",
    "(write|compose) a (poem|song|story|haiku|limerick) about {topic}",
    "(summarise|summarize) the history of {topic}",
    "(give me|what are) (some|) (tips|advice) (on|for|about) {topic}", "why is {topic} important",
    "(pros and cons|advantages and disadvantages) of {topic}",
    "(how|where) can I learn about {topic}",
    "what's the difference between {topic} and {topic2}",
    "(translate|say) '{topic}' in (french|german|spanish)",
    "(can you|please) (help me with|explain) {topic}", "is {topic} (safe|worth it|a good idea)",
    "(what|which) is (better|cheaper), {topic} or {topic2}",
    # chit-chat and the gateway itself
    "{chat}", "{chat} {chat2}",
    # garbled and ambiguous
    "{garble}",
)

# Second generation: more reasoning, advice, plans, multi-step and conditional commands.
ESCALATE_MORE = (
    "<why> is {area} (warmer|colder|wetter|drier|louder) than {area2}",
    "<why> (would|could|might|does) {area} (be|get|run) (warmer|colder|more humid) than {area2}"
    " (in the afternoon|at night|in the morning|on weekends|)",
    "<why> (is|does) the {kind} (in|on|at) {area} (keep|keeps) (rising|dropping|changing)",
    "<why> (is|was|did) {act} (running|off|stopped|tripping|cycling) (so much|so often|again|)",
    "should (I|we) (open|close|start|stop|turn on|turn off) {act} (before|during|after) the"
    " (storm|frost|heatwave|night|shift change|delivery)",
    "(plan|schedule|organise|prepare) the (shutdown|start-up|maintenance|cleaning) of {area}",
    "compare {act} and {act2} (efficiency|energy use|performance|runtime) and recommend one",
    "(compare|contrast) the {kind} (in|on) {area} and {area2} [and explain the difference]",
    "what (happens|will happen|would happen) if the {kind} keeps (rising|falling|climbing)",
    "what (happens|would happen) if (I|we) (stop|close|open|turn off) {act} (now|for an hour|)",
    "explain what (this|the) {kind} means for the (plants|animals|product|pipes|crop|batch)",
    "what does a {kind} of {value} mean for (the pipes|the plants|the product|{area})",
    "is {value} (too high|too low|ok|safe|normal|dangerous) for {area}",
    "is (the|this) {kind} (in|at|on) {area} (too high|too low|normal|a problem|safe)",
    "(suggest|recommend|propose|write|draft) a (maintenance|cleaning|inspection|watering)"
    " (schedule|plan|routine) for the <things> (on|in) {area}",
    "(write|draft|prepare) a (maintenance|shutdown|safety|start-up) plan for the <things>"
    " [before (summer|winter|the audit|harvest)]",
    "how (do|can|should) (I|we) (reduce|lower|improve|optimise) the {kind} (in|on) {area}",
    "(diagnose|troubleshoot|investigate) (the|) {kind} (problem|issue|spike|drop) (in|on) {area}",
    "what (could|might|would) (cause|explain) the {kind} (spike|drop|swing) (in|on) {area}",
    "(predict|forecast|estimate) (when|whether|how fast) {sensor} will (run out|fill up|fail)",
    "how long (will|can) {act} (last|run) (before|without) (service|failing|maintenance)",
    "is it (safe|ok|wise|a good idea) to (run|open|stop|start) {act} (now|overnight|today|)",
    "is it normal (for|that) {act} (vibrates|is noisy|runs hot|cycles) [like this]",
    "what should (I|we) (do|check) (if|when|about) (the|) {kind} (in|on) {area} (is|gets) (high"
    "|low|too high|too low)", "what should I check first (in|on) {area}",
    "explain how {kind} affects (the drying time of concrete|plant growth|the product|yield)",
    "how does (the|) {kind} affect {topic}", "<why> would (a|the) (greenhouse|barn|warehouse"
    "|server room) get (warmer|colder) at night than during the day",
    "<on> {act} and then <off> {act2}", "<off> {act} (and|then|and then) <open> {act2}",
    "<on> {act} and <set> {act2} to {value}", "<set> {act} to {value} and {act2} to {value}",
    "<on> {act}, wait {n} minutes, then <off> it", "<off> {act} (for|during) {n} (minutes|hours)",
    "if the {kind} (exceeds|goes above|rises above|hits|passes) {value} <on> {act}",
    "if {sensor} (drops below|falls under|reads less than) {value} <off> {act}",
    "when {area} gets (too hot|too cold|too humid|above {value}) <on> {act}",
    "<on> {act} (if|when|whenever|as soon as) the {kind} (is above|goes over|drops below) {value}",
    "<on> {act} (every day|every morning|each night|at (6|7|8) am|at noon|on weekdays|tomorrow)",
    "(in|after) {n} minutes <off> {act}", "<off> {act} at (5|6|10) (pm|am|tonight|o'clock)",
    "keep {act} (on|at {value}) until (the tank is full|morning|the shift ends|I say so)",
    "(remind|alert|tell) me (when|if) {sensor} (reaches|drops below|goes over) {value}",
    "(notify|email|text) (the|my) (team|manager|technician|operator) (if|about) {act}",
    "how much (money|energy|water) (would|could) (I|we) save by (turning off|slowing) {act}",
    "(rank|sort) the <things> by (efficiency|energy use|age|reliability)",
    "which of the <things> (needs|need) (service|replacing|attention) first",
    "(summarise|summarize|analyse|analyze) the {kind} (data|readings) (for|of) {area} {window}"
    " and (explain|tell me) (the trend|what it means|why)",
    "why did the {kind} (in|on) {area} (spike|drop|jump) {window}",
    "was the {kind} (in|on) {area} {window} (normal|ok|a problem) (for|given) {topic}",
    "(teach|show) me how to (calibrate|service|replace|bleed) {act}",
    "what (maintenance|service) does {act} need", "(create|set up|build) a dashboard for {area}",
    "(help|can you help) me (plan|design|size) (a|the) (new|) {topic} (system|setup)",
    "{chat}, (how are things|what's up)", "(what do you think|any thoughts) about {area}",
    "(tell me|explain) (everything|more) about {act}", "what is {act} (for|used for)",
    "(how|where) (is|was) {act} (installed|wired|connected)",
)

# Third generation: several templates per phenomenon, so each one reaches every split.
ESCALATE_FAMILIES = (
    "(alert|notify|warn|ping|message) me (if|when|once) {sensor} (goes over|reaches|drops below"
    "|exceeds) {value}", "let me know (if|when|as soon as) the {kind} (in|at) {area} (goes above"
    "|falls below|hits) {value}", "send me a (message|text|notification) (if|when) {act}"
    " (stops|trips|starts)", "tell me (if|when|whenever) {act} (turns off|fails|stops running)",
    "(warn|inform) (me|the team) (if|in case) the {kind} (gets|becomes) too (high|low)",
    "is it (ok|okay|safe|fine|alright|wise|risky) to (stop|open|close|start|run) {act} {window}",
    "would it be (safe|ok|smart|better) to (turn off|slow down|open|close) {act} (now|tonight|)",
    "can I (safely|) (stop|open|close|switch off) {act} (without|while) (risk|{act2} running|"
    "damaging anything)", "do you think it's (safe|ok) to (stop|restart) {act}",
    "was the {kind} (in|on|at) {area} {window} (normal|ok|acceptable|a concern)",
    "is (a|this) {kind} of {value} (normal|ok|fine|worrying|bad) for {topic}",
    "should the {kind} (in|on|at) {area} be (this high|this low|around {value})",
    "what (should|ought) the {kind} (in|at|on) {area} (be|to be) (for|during|in) {topic}",
    "what's a (good|safe|normal|healthy) {kind} for {topic}",
    "is {value} (a normal|an ok|a safe|a healthy) {kind} for {topic}",
    "(could you|can you|please) (explain|tell me) why {act} (keeps|is) (tripping|cycling|noisy)",
    "how come {area} is (so|this) (hot|cold|humid|dry) (today|again|lately|)",
    "(what|which) (caused|triggered|started) the {kind} (problem|alarm|spike) (in|on) {area}",
    "(figure out|find out|investigate) (what|why) {act} (is|was) (doing|failing|off)",
    "(plan|organise|schedule|coordinate) (a|the) (maintenance|cleaning|repair|inspection) (of|"
    "for|on) {act} (next week|this month|before winter|)",
    "(write|give|make) me a (checklist|procedure|plan|report) for {area}",
    "(compare|benchmark) (the|) <things> (on|in) {area} (and|then) (tell me|say) which (is best|"
    "uses the most energy|needs work)", "which is (better|more efficient), {act} or {act2}",
    "if {act} (stops|fails|trips) (then|) <on> {act2}", "if it gets (too hot|too cold|above"
    " {value}) (in|on) {area} <on> {act}", "(only|just) <on> {act} if {sensor} (reads|shows) (more"
    "|less) than {value}", "<open> {act} (unless|until|after) {sensor} (reads|reaches) {value}",
    "<on> {act} (then|and then|after that) <set> {act2} to {value}", "<off> {act} (and|plus|as"
    " well as) {act2}", "<open> {act} and <close> {act2}", "(first|1st) <on> {act} (then|and"
    " then|after that) <open> {act2}", "<on> {act} (for|during) {n} (minutes|hours) (then|and then"
    "|and) <off> it", "<set> {act} to {value} (at|after|in) {n} (pm|am|minutes|hours)",
    "(every|each) (day|morning|evening|night|hour) <on> {act}", "<on> {act} (tomorrow|tonight"
    "|on monday|at dawn|at sunset)", "(start|stop) {act} (in|after) {n} (minutes|hours|mins)",
    "what can you do (for me|here|)", "(how|what) do you (work|know|do)",
    "(tell me|say) something (about yourself|funny|nice)", "(are|were) you (trained|built|made)"
    " (by|for) (whom|what|us)", "(can|could) you (learn|remember) (things|this|my name)",
)

# Fourth generation: families that reached only one fold, several ways in a row; requests of
# two sentences where the second asks for judgement; "later" and other deferred commands.
ESCALATE_FOURTH = (
    "(tell me|explain) (everything|all you know|more|the details) about {act}",
    "what (do you know|can you tell me) about {act}", "(describe|give me an overview of) {act}",
    "(who|which company) (installed|maintains|serviced|supplied|built) {act}",
    "when (was|did) {act} (installed|last serviced|commissioned|bought)",
    "(who|what company) (made|manufactured|sold us) {act}",
    "(later|tonight|tomorrow|in a bit|this evening) (<on>|<off>) {act}",
    "(<on>|<off>) {act} (later|tonight|in an hour|tomorrow morning|after lunch)",
    "(contrast|compare) {area} (and|with|to|versus) {area2}",
    "(compare|contrast) {act} (with|and|to) {act2}", "how does {area} compare (to|with) {area2}",
    "what (should|ought to) the {kind} (in|at|on|for) {area} be [set to]",
    "what {kind} should {area} (have|be at|run at)", "what's the right {kind} for {area}",
    "(is it|would it be) (safe|ok|fine|alright) to (open|close|stop|start|turn off) {act} [<now>]",
    "can I (safely|) (open|close|stop|start) {act} [<now>]",
    "(find out|work out|figure out|investigate) why {act} (is|was|keeps) (off|failing|tripping)",
    "was the {kind} (in|on) {area} {window} (ok|normal|fine|good) for {topic}",
    "is the {kind} (in|on) {area} (ok|good|fine|suitable) for {topic}",
    "(were|are) you (trained|made|built|programmed) (by|for|with) (whom|what|us|which data)",
    "who (trained|programmed|made|designed) you", "(remind|alert|ping|tell) me (when|if|once)"
    " {sensor} (reaches|hits|drops below|goes over) {value}",
    "(write|compose|make up) a (poem|song|joke|story|rap) about {topic}",
    "(translate|how do you say) '{topic}' (in|into) (french|german|spanish|italian)",
    "(estimate|calculate|work out) the (cost|price|energy bill) of running {act} (for|per) a"
    " (day|week|month|year)", "(recommend|suggest|propose) a (maintenance|service|inspection)"
    " (schedule|plan|interval) for {act}",
    "<what> the {kind} (in|at) {area}? (is that|is it) (normal|ok|too high|too low|a problem)",
    "the {kind} (in|at) {area} is {value}. (why|is that a problem|what should I do)",
    "{act} (keeps tripping|stopped again|is noisy|is vibrating). (why|what should I check|any"
    " ideas)", "(hi|hello|morning)(,|.|!) why is {act} (off|running|so loud|tripping)",
    "<on> {act}. (then|after that|and then) (<off>|<open>|<close>) {act2}",
    "(hi|hello|morning)(,|.|!) (what is|explain|tell me about) {topic}",
    "{chat}. (what is|tell me about|explain) {topic}", "(thanks|ok|great)(.|!) {chat}",
)

# Fifth generation, hard negatives: a device or reading is named, but the question asks how,
# why, how often, what a code means or what to do; several ways in a row, so every fold has some.
ESCALATE_FIFTH = (
    "how do I (reset|clear|acknowledge|silence) the (alarm|fault|error) on {act}",
    "how (can|should|do) I (reset|restart|reboot|reconfigure) {act}",
    "how (often|frequently) should (the filters in|the belts on|the oil in) {act} be"
    " (changed|replaced|checked)", "how often should I (service|clean|inspect|descale) {act}",
    "what does (error|fault|alarm) (code|) (E|F|A){n} (on|from) {act} mean",
    "what (is|does) (error|fault) {n} on {act} (mean|about|tell me)",
    "what should I do (about|with|if) {act} (is leaking|keeps tripping|overheats|is noisy)",
    "what do I do when {sensor} (reads|shows) {value}",
    "which <devs> should (I|we) (replace|upgrade|service) first",
    "which of the <devs> (needs|need) (maintenance|replacing|attention) (soonest|first|most)",
    "why is {sensor} (reading|showing) {value}", "why would {sensor} (read|show) {value}",
    "is {value} (on|in|at) {area} (dangerous|too much|ok|normal|a problem)",
    "is a {kind} of {value} (in|on) {area} (dangerous|normal|too high|fine)",
    "(is it|it is) normal that {sensor} (empties|fills|drops|rises) (this|so) (fast|quickly)",
    "how can I (cut|reduce|lower) the (heating|energy|water|power) bill (for|of|in) {area}",
    "how do I (tune|set up|configure) the (pid|controller|setpoint schedule) (of|for|on) {act}",
    "what (causes|could cause|might cause) {act} to (trip|stall|overheat|cycle)",
    # Added for triage-2.1: asking for a summary or an analysis of alerts is for the cloud.
    "(summarise|summarize|recap|analyse|go through) (the|all the|today's|yesterday's)"
    " (alarms|alerts|faults|warnings) [and (tell me|suggest) what to do]",
    "(explain|interpret) the (alarms|alerts|faults) (on|in|from) {area}",
)

# Pieces that turn a local request into one to escalate (``corpus.compose``): a second sentence
# asking for judgement, a deferred time, a second command. Split in halves like TOPICS.
JUDGEMENT = (
    "is that normal", "is it ok", "why", "why is it so high", "what should I do", "should I worry",
    "and explain why", "is that too high", "what does that mean", "is that a problem",
    "is that safe", "why so low", "can you explain it", "what could cause that",
    "and tell me if that's bad", "is that good for the plants", "how does it compare to last year",
    "what do you recommend", "and what should it be", "is that within spec", "any idea why",
    "is that dangerous", "and suggest a fix", "should I be concerned", "what's your advice",
    "and predict tomorrow", "is that expected", "why did it change", "is it safe to leave",
    "and what does it mean for the crop",
)
LATER = (
    "at 6 pm", "tomorrow", "in 10 minutes", "later", "tonight", "after the shift",
    "every morning", "on monday", "at 7 am", "in an hour", "at noon", "tomorrow morning",
    "after lunch", "at midnight", "in half an hour", "on weekdays", "at sunset", "next week",
    "in 5 minutes", "this evening", "at 9", "every night", "before the shift starts", "at dawn",
    "in two hours",
)
JOINS = (" and ", " then ", ", then ", " and then ", ". after that ", ", and also ", " plus ",
         ". then ", " & ", ", afterwards ")

TOPICS = (
    "photosynthesis", "the french revolution", "ohm's law", "inflation", "blockchain",
    "quantum computing", "the roman empire", "climate change", "machine learning", "pid control",
    "heat pumps", "solar panels", "crop rotation", "the stock market", "vitamin d", "black holes",
    "the water cycle", "electric cars", "modbus", "mqtt", "the internet", "democracy",
    "compound interest", "a mortgage", "cheese making", "beekeeping", "composting", "yoga",
    "the olympics", "jazz", "shakespeare", "python programming", "kubernetes", "hydroponics",
    "drip irrigation", "frost protection", "lean manufacturing", "six sigma", "iso 50001",
    "predictive maintenance", "vibration analysis", "thermodynamics", "refrigeration cycles",
    "variable frequency drives", "lithium batteries", "wind turbines", "biogas", "soil ph",
    "pest control", "organic farming", "greenhouse gases", "the moon landing", "chess",
    "football", "coffee", "sourdough bread", "the theory of relativity", "dna", "vaccines",
    "the great wall of china", "mount everest", "the amazon rainforest", "cryptography",
    "neural networks", "the printing press", "steam engines", "nuclear power", "tides",
    "earthquakes", "volcanoes", "hurricanes", "rainbows", "dinosaurs", "taxes",
    "retirement planning", "project management", "agile", "time management", "public speaking",
    "a job interview", "a healthy diet", "sleep", "meditation", "legionella", "hvac balancing",
    "condensation", "dew point", "cavitation", "water hammer", "overall equipment effectiveness",
    "scada", "plc programming", "ladder logic", "energy audits", "demand response",
    "tariffs", "carbon credits", "food safety", "haccp", "cold chain logistics", "milk cooling",
    "poultry ventilation", "grain drying", "irrigation scheduling", "fertiliser", "weather",
    "the weather tomorrow", "the capital of france", "the speed of light", "paris", "tokyo",
    "bitcoin", "the meaning of life", "gravity", "electricity", "magnetism", "recycling",
    "the human heart", "penicillin", "the industrial revolution", "world war two", "pyramids",
    "the solar system", "artificial intelligence", "5g networks", "linux", "excel formulas",
    "tax returns", "marketing", "first aid", "fire safety", "forklift training", "welding",
    "concrete curing", "wine making", "dairy farming", "sheep shearing", "lawn care",
    "houseplants", "the ocean", "sharks", "the amazon river", "opera", "basketball", "poetry",
)
CHAT = (
    "hello", "hi", "hey", "good morning", "good evening", "how are you", "thanks", "thank you",
    "who are you", "what can you do", "are you a robot", "tell me a joke", "what's your name",
    "nice to meet you", "bye", "goodbye", "see you later", "you are great", "that's wrong",
    "I don't understand", "help", "what time is it", "what day is it", "what's the date",
    "how old are you", "do you like music", "sing me a song", "are you there", "ok", "okay",
    "cool", "never mind", "forget it", "cancel that", "what do you think", "I'm bored",
    "who made you", "are you alive", "what is your purpose", "let's chat", "yes", "no", "maybe",
    "sure", "why", "really", "what", "hmm", "lol", "wow", "sorry", "please", "test", "testing",
    "hello world", "can you hear me", "wake up", "are you listening", "what's new",
    "what's the weather like", "will it rain today", "play some music", "set a timer",
    "remind me to call mum", "add milk to my shopping list", "what's the news", "order a pizza",
    "what are you", "how do you work", "are you smart", "can we talk", "let's talk", "hi again",
    "what can you help with", "what else can you do", "do you speak german", "good night",
    "good afternoon", "morning", "evening all", "how's it going", "how are things", "sup",
    "what's up", "are you awake", "who built you", "are you an ai", "are you human",
    "is anyone there", "hello?", "can you help me", "I need help", "you're useless",
    "that didn't work", "try again", "say that again", "repeat that", "what did you say",
    "what do you mean", "explain yourself", "stop talking", "be quiet", "shut up", "oops",
    "my bad", "no worries", "great job", "well done", "awesome", "perfect", "nice", "fine",
    "whatever", "I see", "got it", "understood", "makes sense", "not really", "of course",
    "absolutely", "nope", "yep", "yeah", "nah", "idk", "dunno", "brb", "hang on", "wait",
    "one moment", "hold on a sec", "tell me something interesting", "tell me a fun fact",
    "what's the meaning of life", "do you dream", "do you have feelings", "what's your favourite"
    " colour", "who is the president", "what year is it", "how's the weather", "is it sunny",
    "will it snow tomorrow", "what's the forecast", "play the radio", "call my wife",
    "book a meeting", "set an alarm for 7", "what's on my calendar", "read my emails",
    "how do I get to the station", "where am I", "what language do you speak", "knock knock",
    "tell me a story", "let's play a game", "flip a coin", "roll a dice", "pick a number",
    "one moment", "just a sec", "give me a minute", "hmm let me think", "interesting", "right",
    "alright", "sounds good", "no thanks", "not now", "maybe later", "thanks a lot", "cheers",
    "good job", "you're welcome", "how was your day", "what are you doing", "are you busy",
    "do you like your job", "what's 2 plus 2", "how many days until christmas", "spell cat",
    "what's the time in tokyo", "convert 10 miles to km", "how tall is the eiffel tower",
    "tell me the news", "who won the game", "what should I eat", "I'm tired", "I'm hungry",
    "happy birthday", "merry christmas", "lol ok", "haha", "ugh", "seriously?", "what now",
    "and?", "so?", "anything else?", "that's all", "done", "stop", "go away", "come on",
)



# Sixth generation (triage-2.4): "how does X work" and other questions that name a device and
# read like state questions but ask how something works, what it is for, what it should be or
# how to do something; several ways in a row so that every fold gets each.
ESCALATE_SIXTH = (
    "how does {act} work", "how do I (calibrate|reset|clean|service|configure) {dev}",
    "what does {act} (do|control|regulate)", "how does {sensor} measure the {kind}",
    "explain how {act} works", "what is {dev} (for|used for)",
    "how (warm|cold|humid) should it be in {area}", "how does {act} work [<now>]?",
    "how (is|are) {act} (controlled|wired|installed|powered)",
    "how (do|can) I (tell|know) (if|whether) {act} is (broken|faulty|clogged|worn)",
    "what should the {kind} in {area} be", "can you explain how {sensor} works",
    "how (do|should) I (use|operate|start up|shut down) {act} (safely|properly|correctly)",
    "what is the right {kind} for {area}",
    "how does the {kind} (in|at) {area} (affect|change) {topic}",
    "how (do|does) {act} (know|decide) when to (start|stop|open|close)",
    "{act} (shows|reports|is showing) (fault|error|alarm) {n}(,|.) what (now|do I do)",
    "how does {act} work and what does it (control|do)",
    "why is {act} (open|on|off|closed) [<now>]",
    "what happens if I <off> {act}", "how long does {act} take to (start|warm up|cool down)",
    "how should {act} be (set|configured) (for|in) {topic}",
    "how do (pumps|valves|fans|heaters|chillers) like {act} work",
    "what's the difference between {act} and {act2}",
    "how (does|do) the {kind} (sensors|probes) in {area} work",
    "what is the best {kind} for {topic}", "how do I read {sensor}",
    "how do I (install|replace|wire) {dev}",
    "{act} (flags|throws|gives) (code|error) (E|F){n}, what (now|should I do)",
)
# Seventh generation (triage-2.5): hard negatives in the shapes of the seventh-generation local
# templates (a part of a device, what a sensor should read, movement, how much should be left).
ESCALATE_SEVENTH = (
    "why is the (fan|motor|heater|pump|burner|blower) (in|on|of) {dev} (always|still)"
    " (on|running)",
    "should the (fan|motor|heater|pump|burner) (in|on|of) {dev} be (on|running) (at night"
    "|in winter|all the time)",
    "what {kind} should {sensor} (have|show|read) (normally|in winter|in summer)",
    "how much (water|feed|fuel) should be left in {sensor} (before refilling|at night)",
    "is {act} (moving|turning|spinning) (too slowly|too fast|normally)",
    "why is the (inlet|outlet|return|exhaust) {kind} (on|at|of) {dev} so (high|low)",
    "how many (sensors|probes) do I need (in|for) {area}",
    # Training-fold siblings of the one above, which fell in the held-out fold alone: without
    # them the model read it as a device list (0.99) and the warm start's held-out check,
    # which includes it, made every fine-tune much stricter.
    "how many (sensors|probes|meters) (should|would) (I|we) (install|fit|put) (in|for) {area}",
    "do (I|we) need (more|extra|another) (sensors|probes|meters) (in|for) {area}",
)
