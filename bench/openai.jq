# The conversion to OpenAI fine-tuning examples written in jq, doing the
# work of `tclog-qwen -P -o -f openai` on new-format entries: consecutive
# entries that share user_query, model_response and model, each
# matching a not-yet-used call of the response, form one example; a
# response without a matching call gets the entry's own call. Run as
#   jq -nc -f openai.jq < log
# It streams (foreach over inputs): memory holds one example.

def args_value: if type == "string" then (try fromjson catch .) else . end;

def tool_content:
	"Tool execution result:\nStatus: \(.status)"
	+ (if .status != "success" then
		((if (.error_details // "") != "" then .error_details
		  else (.message // "") end) as $err
		 | if $err != "" then "\nError: \($err)" else "" end)
	   else "" end)
	+ (if (.output // "") != "" then "\nOutput: \(.output)" else "" end);

# Content that is only the call written out as JSON text becomes "".
def content_of:
	(.content // "") as $c
	| ($c | sub("^\\s*```(json)?"; "") | sub("```\\s*$"; "")) as $bare
	| if ($bare | test("^\\s*[\\[{]")) and (try ($bare | fromjson | true) catch false)
	  then "" else $c end;

def calls_of:
	[(.tool_calls // []) | to_entries[]
	 | {idx: .key, id: (.value.id // "call_\(.key + 1)"),
	    name: .value.function.name, args: .value.function.arguments,
	    argv: (.value.function.arguments | args_value)}];

# Index of the first unused call that e executed, or null.
def matching($e):
	(.used) as $used
	| ($e.arguments | args_value) as $ea
	| first(.calls | to_entries[]
		| select(.value.idx as $i | ($used | index([$i])) == null)
		| select(.value.name == $e.tool_name and .value.argv == $ea)
		| .key) // null;

def start($e):
	($e.model_response | fromjson) as $r
	| {key: [$e.user_query, $e.model_response, $e.model],
	   query: $e.user_query, content: ($r | content_of),
	   calls: ($r | calls_of), used: [], picked: []}
	| matching($e) as $m
	| if $m != null then
		.used += [.calls[$m].idx] | .picked += [.calls[$m] + {entry: $e}]
	  else
		.calls = [] | .picked = [{idx: 0, id: "call_1", name: $e.tool_name,
		    args: $e.arguments, entry: $e}]
	  end;

def example:
	(.picked | sort_by(.idx)) as $p
	| {messages: ([{role: "user", content: .query},
	    {role: "assistant", content: .content,
	     tool_calls: [$p[] | {id, type: "function",
	        function: {name, arguments: .args}}]}]
	   + [$p[] | {role: "tool", tool_call_id: .id,
	        content: (.entry | tool_content)}])};

def is_new: (.user_query // "") != "" and (.model_response // "") != "";

foreach (inputs, null) as $e ({cur: null, out: null};
	if $e == null then {cur: null, out: .cur}
	elif ($e | is_new | not) then {cur: null, out: .cur}
	elif .cur != null and .cur.key == [$e.user_query, $e.model_response, $e.model]
	    and (.cur | matching($e)) != null then
		(.cur | matching($e)) as $m
		| .cur.used += [.cur.calls[$m].idx]
		| .cur.picked += [.cur.calls[$m] + {entry: $e}]
		| .out = null
	else {cur: start($e), out: .cur}
	end;
	.out | select(. != null) | example)
