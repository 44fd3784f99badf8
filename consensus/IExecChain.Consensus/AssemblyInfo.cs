namespace IExecChain.Consensus;
