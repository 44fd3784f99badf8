// Independent vectors from ethers v6 for IExecChain.Ethereum.Tests.
// Usage: node vectors.mjs <input.json> -> JSON on stdout with
//   transactions: signed EIP-1559 transactions (unsigned hash, raw, hash) for each input
//   abi: ethers' ABI encoding of each {types, values}
//   checkpoints: solidityPackedKeccak256 of the checkpoint layout in docs/anchoring.md
//   validatorSets, withdrawals: the same for the validator-set digest and the withdrawal leaf (docs/bridge.md)
//   calls: ethers' Interface.encodeFunctionData for each {abi (solc's JSON ABI), name, values}
//   createAddresses: ethers.getCreateAddress for each {from, nonce}
import { readFileSync } from "node:fs";
import { ethers } from "ethers";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const coder = ethers.AbiCoder.defaultAbiCoder();

const transactions = input.transactions.map((t) => {
  const tx = ethers.Transaction.from({
    type: 2, chainId: t.chainId, nonce: t.nonce, maxPriorityFeePerGas: t.maxPriorityFeePerGas,
    maxFeePerGas: t.maxFeePerGas, gasLimit: t.gasLimit, to: t.to, value: t.value, data: t.data,
    accessList: t.accessList ?? [],
  });
  const unsignedHash = tx.unsignedHash;
  tx.signature = new ethers.SigningKey(t.privateKey).sign(unsignedHash);
  return { unsignedHash, raw: tx.serialized, hash: tx.hash, from: tx.from };
});
const abi = input.abi.map(({ types, values }) => coder.encode(types, values));
const checkpoints = input.checkpoints.map((c) =>
  ethers.solidityPackedKeccak256(
    ["string", "uint64", "uint64", "uint64", "uint64", "bytes32", "bytes32", "bytes32", "bytes32"],
    ["iExecChain/checkpoint/v2", c.chainId, c.number, c.firstHeight, c.lastHeight, c.blocksRoot, c.stateRoot, c.nextValidatorSetHash,
      c.withdrawalsRoot]));
const withdrawals = (input.withdrawals ?? []).map((w) =>
  ethers.solidityPackedKeccak256(["string", "uint64", "address", "uint64"], ["iExecChain/withdrawal/v1", w.id, w.recipient, w.amount]));
const validatorSets = input.validatorSets.map((set) =>
  ethers.solidityPackedKeccak256(["string", ...set.map(() => ["address", "uint96"]).flat()],
    ["iExecChain/validator-set/v1", ...set.map((v) => [v.address, v.power]).flat()]));
const calls = (input.calls ?? []).map(({ abi, name, values }) => new ethers.Interface(abi).encodeFunctionData(name, values));
const createAddresses = (input.createAddresses ?? []).map(({ from, nonce }) => ethers.getCreateAddress({ from, nonce }).toLowerCase());
console.log(JSON.stringify({ version: ethers.version, transactions, abi, checkpoints, validatorSets, withdrawals, calls, createAddresses }));
