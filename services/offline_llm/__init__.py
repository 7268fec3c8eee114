"""The offline model server: an OpenAI-compatible HTTP server the mesh uses when no provider key is set.

Services reach it only through litellm (model `openai/synthmesh-offline`, base URL
`http://127.0.0.1:8088/v1`), exactly as they reach a real provider, so tests and a fresh checkout exercise the
real client path. Replies are deterministic per request and seed and labelled `synthmesh-offline`.

Step protocol. The first line of the system message may be a header

    synthmesh-step: <step>[; key=value]...

e.g. `synthmesh-step: question; topic=ANIMATION`. Real providers just see a harmless line. Steps:

- `question` (param `topic` = ANIMATION | SCIENCE | GAMES, weighted 45/30/25 when absent; the persona is the
  user message) → a question in upstream's format: an intro sentence, "Features:" bullets and 2-3 numbered
  "User Actions:" (always 2 for games).
- `augment_question` (param `level` = REMOVE_REQUIREMENTS | ADD_REQUIREMENTS | CHANGE_ANIMATION_OBJECT; the
  question in the user message) → only the modified question text.
- `answer` (the question in the user message) → JSON `{"files": [index.html, index.js (, index.css)]}`, each
  `{filename, content, language}`, bare or in a ```json fence. index.html holds no script or stylesheet link:
  the merge step inlines index.css into the head and index.js at the end of the body.
- `augment_answer` (param `level` = REMOVE_ONE | REMOVE_TWO | ADD_ONE; the base answer's code in the user
  message) → JSON files as for `answer`.
- `repair` (code plus browser or test feedback in the user message) → JSON files, the working version.
- no header → a ```python block for a recognisable function (`def name(`), else a short plain answer.

`answer` and `augment_answer` pages are deliberately broken for a deterministic share `OFFLINE_LLM_BROKEN_RATE`
(default 0.3) of requests; params `broken=0|1` and `bug=<kind>` override that per request. Every page carries
the marker `synthmesh-offline:<entry>:<variant>` (e.g. `koi-pond:-trails,+extra,!type_error`), by which
`augment_answer` and `repair` recognise the code they get. Unknown steps, levels, topics or bugs answer 400.

Admin endpoints for tests: `POST /admin/faults`, `POST /admin/script`, `GET /admin/requests`,
`POST /admin/config`, `POST /admin/reset` (see `admin` and `faults`). See README.md next to this file.
"""
