namespace IExecChain.FaultTests.Lab;

/// <summary>
/// A small tmpfs holding one node's data directory, so the test can fill the node's disk without
/// touching the machine's: <see cref="Fill"/> writes a ballast file until the file system refuses,
/// <see cref="Free"/> deletes it.
/// </summary>
internal sealed class DataDisk : IDisposable
{
    private bool _mounted;

    public DataDisk(string mountPoint, int megabytes)
    {
        MountPoint = mountPoint;
        Directory.CreateDirectory(mountPoint);
        Shell.Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0700", "tmpfs", mountPoint);
        _mounted = true;
    }

    public string MountPoint { get; }
    private string Ballast => Path.Combine(MountPoint, "ballast");

    /// <summary>Bytes still free on the disk.</summary>
    public long FreeBytes => new DriveInfo(MountPoint).AvailableFreeSpace;

    /// <summary>Writes the ballast until ENOSPC; returns its size.</summary>
    public long Fill()
    {
        var chunk = new byte[1 << 20];
        using var file = new FileStream(Ballast, FileMode.Append, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true) file.Write(chunk);
        }
        catch (IOException)
        {
            // No space left. Fill the last partial megabyte too, byte blocks of 4 KiB.
            var small = new byte[4096];
            try { while (true) { file.Write(small); file.Flush(); } }
            catch (IOException) { }
        }
        return new FileInfo(Ballast).Length;
    }

    public void Free() => File.Delete(Ballast);

    public void Dispose()
    {
        if (!_mounted) return;
        _mounted = false;
        // Lazy: a node killed a moment ago may still hold files open while the kernel reaps it.
        Shell.TryRun("umount", "-l", MountPoint);
    }
}
