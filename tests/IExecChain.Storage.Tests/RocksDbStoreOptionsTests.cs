using NUnit.Framework;

namespace IExecChain.Storage.Tests;

/// <summary>What <see cref="RocksDbStoreOptions"/> asks of RocksDB, read back from the OPTIONS file RocksDB writes for the database it opened.</summary>
public sealed class RocksDbStoreOptionsTests
{
    private string _path = "";

    [SetUp]
    public void SetUp() => _path = Path.Combine(Path.GetTempPath(), "iexec-rocksdb-options-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_path)) Directory.Delete(_path, recursive: true);
    }

    private string OptionsFileValue(string name)
    {
        var file = Directory.GetFiles(_path, "OPTIONS-*").Order(StringComparer.Ordinal).Last();
        var line = File.ReadLines(file).Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(name + "=", StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, $"{name} in {Path.GetFileName(file)}");
        return line![(name.Length + 1)..];
    }

    [Test]
    public void The_write_ahead_log_is_capped_so_rarely_written_columns_do_not_keep_old_log_files_alive()
    {
        using (new RocksDbStore(_path)) { }
        Assert.That(OptionsFileValue("max_total_wal_size"), Is.EqualTo((128UL << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void A_cap_below_one_mebibyte_is_refused() =>
        Assert.That(() => new RocksDbStore(_path, new RocksDbStoreOptions { MaxTotalWalBytes = 4096 }),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("MaxTotalWalBytes"));
}
