// Compiles a Solidity source with solc-js (pinned in package.json) for IExecChain.Ethereum.Tests.
// Usage: node compile.mjs <Contract.sol> <ContractName>  -> {"abi": [...], "bytecode": "0x..."} on stdout.
// The EVM target is Shanghai, the newest fork ganache 7.9.2 runs.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import solc from "solc";

const [sourcePath, contractName] = process.argv.slice(2);
const file = basename(sourcePath);
const input = {
  language: "Solidity",
  sources: { [file]: { content: readFileSync(sourcePath, "utf8") } },
  settings: {
    evmVersion: "shanghai",
    optimizer: { enabled: true, runs: 10000 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
for (const e of output.errors ?? []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);
const contract = output.contracts[file][contractName];
if (!contract) {
  console.error(`contract ${contractName} not found in ${file}`);
  process.exit(1);
}
console.log(JSON.stringify({ solc: solc.version(), abi: contract.abi, bytecode: "0x" + contract.evm.bytecode.object }));
