/** CPU of this process between two readings, in percent of one core. */
export class CpuMeter {
  private last = process.cpuUsage();
  private lastAt = process.hrtime.bigint();

  read(): number {
    const now = process.hrtime.bigint();
    const used = process.cpuUsage(this.last);
    const elapsedUs = Number(now - this.lastAt) / 1000;
    this.last = process.cpuUsage();
    this.lastAt = now;
    if (elapsedUs <= 0) return 0;
    return Math.round(((used.user + used.system) / elapsedUs) * 1000) / 10;
  }
}
