// Validates an OpenRPC document with the OpenRPC project's own tools, independently of the node:
//   node validate.mjs DOCUMENT.json
// 1. the document against the OpenRPC meta-schema (validateOpenRPCDocument);
// 2. every $ref resolves (parseOpenRPCDocument dereferences the document);
// 3. every example's params and result against the method's schemas (ajv), and every required param given.
// Prints {"methods": N, "errors": [...]} on stdout; exits 0 whatever it found (the test reads the errors).
import { readFileSync } from "node:fs";
import { validateOpenRPCDocument, parseOpenRPCDocument } from "@open-rpc/schema-utils-js";
import Ajv from "ajv";

const document = JSON.parse(readFileSync(process.argv[2], "utf8"));
const errors = [];
const valid = validateOpenRPCDocument(document);
if (valid !== true) errors.push(`meta-schema: ${valid.message ?? String(valid)}`);

let parsed = document;
try {
  parsed = await parseOpenRPCDocument(JSON.stringify(document));
} catch (e) {
  errors.push(`parse: ${e.message}`);
}

const ajv = new Ajv({ allErrors: true });
for (const method of parsed.methods ?? []) {
  for (const example of method.examples ?? []) {
    const given = new Map((example.params ?? []).map((p) => [p.name, p.value]));
    for (const param of method.params ?? []) {
      if (!given.has(param.name)) {
        if (param.required) errors.push(`${method.name} example '${example.name}': required param '${param.name}' missing`);
        continue;
      }
      if (!ajv.validate(param.schema, given.get(param.name)))
        errors.push(`${method.name} example '${example.name}': param '${param.name}': ${ajv.errorsText()}`);
      given.delete(param.name);
    }
    for (const name of given.keys()) errors.push(`${method.name} example '${example.name}': param '${name}' is not a param of the method`);
    if (example.result && !ajv.validate(method.result.schema, example.result.value))
      errors.push(`${method.name} example '${example.name}': result: ${ajv.errorsText()}`);
  }
}
process.stdout.write(JSON.stringify({ methods: (parsed.methods ?? []).length, errors }));
