// 1 deposit per second through approveAndCall from one funded key, for N seconds.
import { ethers } from "ethers";
const [url, tokenAddr, bridgeAddr, key, seconds, recipient] = process.argv.slice(2);
const provider = new ethers.JsonRpcProvider(url, undefined, { polling: true, pollingInterval: 250 });
const wallet = new ethers.NonceManager(new ethers.Wallet(key, provider));
const token = new ethers.Contract(tokenAddr, ["function approveAndCall(address,uint256,bytes) returns (bool)"], wallet);
const start = Date.now();
let sent = 0;
while (Date.now() - start < seconds * 1000) {
  const t0 = Date.now();
  await token.approveAndCall(bridgeAddr, 1_000_000_000n, recipient, { gasLimit: 200000 });
  sent++;
  const wait = 1000 - (Date.now() - t0);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
console.log(JSON.stringify({ sent }));
