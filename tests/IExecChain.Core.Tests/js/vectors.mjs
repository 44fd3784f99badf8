// Independent secp256k1 / keystore vectors from ethers v6, for IExecChain.Core.Tests.
// Usage: node vectors.mjs generate <input.json>   -> addresses, signatures and a keystore
//        node vectors.mjs decrypt  <input.json>   -> opens a keystore written by iExecChain
// Input and output are JSON; output goes to stdout.
import { readFileSync } from "node:fs";
import { ethers } from "ethers";

const [mode, inputPath] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inputPath, "utf8"));

if (mode === "generate") {
  const addresses = input.privateKeys.map((pk) => ({ privateKey: pk, address: new ethers.Wallet(pk).address }));
  const signatures = input.signatures.map(({ privateKey, digest }) => {
    const sig = new ethers.SigningKey(privateKey).sign(digest);
    return { privateKey, digest, r: sig.r, s: sig.s, yParity: sig.yParity };
  });
  const keystore = await ethers.encryptKeystoreJson(
    { address: new ethers.Wallet(input.keystore.privateKey).address, privateKey: input.keystore.privateKey },
    input.keystore.password,
    { scrypt: { N: 1024 } },
  );
  console.log(JSON.stringify({ version: ethers.version, addresses, signatures, keystore }));
} else if (mode === "decrypt") {
  const results = [];
  for (const json of input.keystores) {
    const account = await ethers.decryptKeystoreJson(json, input.password);
    results.push({ address: account.address, privateKey: account.privateKey });
  }
  console.log(JSON.stringify(results));
} else {
  console.error(`unknown mode '${mode}'`);
  process.exit(2);
}
