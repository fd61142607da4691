/** A progress bar on stderr for long CLI jobs: redrawn in place on a terminal, a line per 10 % otherwise. */
export interface Progress {
  update(done: number): void;
  finish(): void;
}

const WIDTH = 30;

export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const startedAt = Date.now();
  const tty = stream.isTTY === true;
  let lastDrawn = 0;
  let lastDecile = -1;
  let current = 0;

  function line(): string {
    const share = total === 0 ? 1 : Math.min(1, current / total);
    const filled = Math.round(share * WIDTH);
    const seconds = (Date.now() - startedAt) / 1000;
    const rate = seconds > 0 ? current / seconds : 0;
    const eta = rate > 0 ? Math.max(0, (total - current) / rate) : 0;
    return (
      `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ` +
      `${current.toLocaleString('en-US')}/${total.toLocaleString('en-US')} · ${Math.round(rate).toLocaleString('en-US')}/s · ` +
      `${share < 1 ? `ETA ${eta.toFixed(0)} s` : `${seconds.toFixed(1)} s`}`
    );
  }

  return {
    update(done) {
      current = done;
      if (tty) {
        if (Date.now() - lastDrawn < 100 && done < total) return;
        lastDrawn = Date.now();
        stream.write(`\r${line()}`);
        return;
      }
      const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        stream.write(`${line()}\n`);
      }
    },
    finish() {
      if (tty) stream.write(`\r${line()}\n`);
      else if (lastDecile !== 10) stream.write(`${line()}\n`);
    },
  };
}
