namespace IExecChain.State;
