"""The embedded AWS account: everything that runs the stack in-process, with no AWS account.

- `backend/`: moto plus our fidelity layer (SageMaker as AWS documents it, IAM, faults, the clock);
- `stepfunctions`: the runner of the synthesized state machines on moto's interpreter;
- `eventpattern`: the EventBridge pattern matcher;
- `synth`: the synthesized stack and the wiring read from its template;
- `stack`: `EmbeddedStack`, the synthesized stack running on the backend;
- `deployed`: the stack deployed into the embedded account (for `doctor --local`, `status --local`);
- `replay` and `demo`: events delivered until nothing changes, and the demo's lifecycle;
- `quiet`: the functions' output kept off the CLI's stdout.

May import `autopilot.errors`, infra/ (to synthesize) and the Lambda code; nothing else of autopilot/.
"""
