namespace IExecChain.Rpc;
