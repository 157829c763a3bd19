// How times, waits and prices read on the sale page.

// Whole seconds left, rounded up: "0 s" appears only once the moment has come.
export function secondsLeft(ms) {
    return Math.max(0, Math.ceil(ms / 1000));
}

// {days, hours, minutes, seconds} of a duration in ms, rounded up to the second.
export function splitDuration(ms) {
    let rest = secondsLeft(ms);
    const days = Math.floor(rest / 86_400);
    rest -= days * 86_400;
    const hours = Math.floor(rest / 3_600);
    rest -= hours * 3_600;
    const minutes = Math.floor(rest / 60);
    return { days, hours, minutes, seconds: rest - minutes * 60 };
}

export function twoDigits(n) {
    return String(n).padStart(2, '0');
}

// "04:59" or "1:04:59": a reservation's time to pay.
export function formatClock(ms) {
    const { days, hours, minutes, seconds } = splitDuration(ms);
    const allHours = days * 24 + hours;
    const tail = `${twoDigits(minutes)}:${twoDigits(seconds)}`;
    return allHours > 0 ? `${allHours}:${tail}` : tail;
}

// "about 12 s", "about 3 min": an estimate, so no false precision.
export function formatWait(ms) {
    const seconds = secondsLeft(ms);
    if (seconds < 1) return 'any moment now';
    if (seconds < 90) return `about ${seconds} s`;
    const minutes = Math.round(seconds / 60);
    if (minutes < 90) return `about ${minutes} min`;
    return `about ${Math.round(minutes / 60)} h`;
}

// The API knows prices in cents of an unnamed currency; show them as a plain amount.
export function formatPrice(cents) {
    if (!Number.isFinite(cents)) return '';
    return new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })
        .format(cents / 100);
}
