using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Core.Tests.Crypto;

public class Secp256k1CrossBackendTests
{
    [Test]
    public void Native_and_managed_backends_produce_identical_signatures_and_recover_the_same_address()
    {
        ISecp256k1Backend native = Backends.Native, managed = Secp256k1.Managed;
        var random = new Random(20240601);
        var key = new byte[32];
        var digest = new byte[32];
        var fromNative = new byte[65];
        var fromManaged = new byte[65];
        var publicNative = new byte[64];
        var publicManaged = new byte[64];
        var recoveredNative = new byte[64];
        var recoveredManaged = new byte[64];
        for (int i = 0; i < 200; i++)
        {
            do random.NextBytes(key); while (!native.TryGetPublicKey(key, publicNative));
            random.NextBytes(digest);

            Assert.That(managed.TryGetPublicKey(key, publicManaged), Is.True);
            Assert.That(publicManaged, Is.EqualTo(publicNative), $"public key #{i}");
            native.Sign(key, digest, fromNative);
            managed.Sign(key, digest, fromManaged);
            Assert.That(fromManaged, Is.EqualTo(fromNative), $"signature #{i}");

            Assert.That(native.TryRecover(digest, fromNative, recoveredNative), Is.True);
            Assert.That(managed.TryRecover(digest, fromNative, recoveredManaged), Is.True);
            Assert.That(Address.FromPublicKey(recoveredManaged), Is.EqualTo(Address.FromPublicKey(publicNative)));
            Assert.That(Address.FromPublicKey(recoveredNative), Is.EqualTo(Address.FromPublicKey(publicNative)));
            Assert.That(native.Verify(digest, fromNative, publicNative) && managed.Verify(digest, fromNative, publicNative), Is.True);

            byte[] highS = Secp256k1ConformanceTests.HighSTwin(fromNative);
            Assert.That(native.TryRecover(digest, highS, recoveredNative) || managed.TryRecover(digest, highS, recoveredManaged), Is.False, $"high-S #{i}");
            byte[] v2 = (byte[])fromNative.Clone();
            v2[64] = 2;
            Assert.That(native.TryRecover(digest, v2, recoveredNative) || managed.TryRecover(digest, v2, recoveredManaged), Is.False, $"v=2 #{i}");

            // A flipped bit anywhere in r or s: both backends agree, and neither yields the signer.
            byte[] tampered = (byte[])fromNative.Clone();
            tampered[random.Next(64)] ^= (byte)(1 << random.Next(8));
            bool nativeOk = native.TryRecover(digest, tampered, recoveredNative);
            bool managedOk = managed.TryRecover(digest, tampered, recoveredManaged);
            Assert.That(managedOk, Is.EqualTo(nativeOk), $"tampered #{i}: backends disagree on validity");
            if (nativeOk)
            {
                Assert.That(recoveredManaged, Is.EqualTo(recoveredNative), $"tampered #{i}");
                Assert.That(recoveredNative, Is.Not.EqualTo(publicNative), $"tampered #{i}");
            }
        }
    }

    /// <summary>
    /// Decided without the code under test: the system library loads (the runtime's own loader) or
    /// not, and the environment forces managed or not. With CI=true the library must be there
    /// (scripts/prerequisites.sh installs it), so a node that silently fell back would fail here.
    /// </summary>
    [Test]
    public void Default_backend_follows_the_environment_and_prefers_native()
    {
        bool forcedManaged = Environment.GetEnvironmentVariable(Secp256k1.BackendEnvironmentVariable)?.Trim().Equals("managed", StringComparison.OrdinalIgnoreCase) == true;
        bool libraryLoads = System.Runtime.InteropServices.NativeLibrary.TryLoad("libsecp256k1.so.1", out var handle);
        if (libraryLoads) System.Runtime.InteropServices.NativeLibrary.Free(handle);
        if (!libraryLoads && Environment.GetEnvironmentVariable("CI") == "true" && !forcedManaged)
            Assert.Fail("libsecp256k1.so.1 does not load; scripts/prerequisites.sh installs it (Debian package libsecp256k1-1)");
        string expected = !forcedManaged && libraryLoads ? "native (libsecp256k1)" : "managed (BouncyCastle)";
        Assert.That(Secp256k1.Default.Name, Is.EqualTo(expected));
    }

    [Test]
    public void TryRecoverAddress_returns_the_signers_address()
    {
        var key = PrivateKey.FromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
        Hash256 hash = Keccak256.Hash("transfer 10 RLC"u8);
        byte[] signature = key.Sign(hash);
        Assert.That(Secp256k1.TryRecoverAddress(hash, signature, out var address), Is.True);
        Assert.That(address, Is.EqualTo(key.Address));
        signature[64] = 2;
        Assert.That(Secp256k1.TryRecoverAddress(hash, signature, out address), Is.False);
        Assert.That(address, Is.EqualTo(default(Address)));
    }
}
