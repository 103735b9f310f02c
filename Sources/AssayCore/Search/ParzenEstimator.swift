import Foundation

/// A density on `low...high`: an equal-weight mixture of Gaussians truncated
/// to the range, one at each observation plus a wide prior at the middle
/// (so that no region ever has zero density).
///
/// Bandwidths follow the observations' spacing (hyperopt's adaptive Parzen
/// estimator): each kernel is as wide as the larger gap to its neighbours,
/// clipped to `[width / min(100, 1 + n), width]`; the prior is the range's width.
struct ParzenEstimator {
    let low: Double
    let high: Double
    private var means: [Double] = []
    private var sigmas: [Double] = []
    /// log Z of each kernel: the share of its mass inside the range.
    private var logMasses: [Double] = []

    init(observations: [Double], low: Double, high: Double) {
        precondition(high > low)
        self.low = low
        self.high = high
        let width = high - low
        let prior = (low + high) / 2
        var points = observations.filter(\.isFinite).map { Swift.min(high, Swift.max(low, $0)) }
        points.append(prior)
        points.sort()
        let minimum = width / Double(Swift.min(100, 1 + points.count))
        var priorPending = true
        for (offset, point) in points.enumerated() {
            let left = offset > 0 ? point - points[offset - 1] : 0
            let right = offset < points.count - 1 ? points[offset + 1] - point : 0
            var sigma = Swift.min(width, Swift.max(minimum, Swift.max(left, right)))
            if priorPending, point == prior {
                sigma = width
                priorPending = false
            }
            means.append(point)
            sigmas.append(sigma)
            logMasses.append(log(Self.cdf((high - point) / sigma) - Self.cdf((low - point) / sigma)))
        }
    }

    /// A draw: a kernel chosen uniformly, then a Gaussian draw from it inside the range.
    func sample(using generator: inout SplitMix64) -> Double {
        let kernel = Int(generator.next(below: UInt64(means.count)))
        for _ in 0..<64 {
            let x = means[kernel] + sigmas[kernel] * generator.nextGaussian()
            if x >= low, x <= high { return x }
        }
        return means[kernel]
    }

    /// The log of the density at `x`.
    func logDensity(_ x: Double) -> Double {
        var terms: [Double] = []
        terms.reserveCapacity(means.count)
        for kernel in means.indices {
            let z = (x - means[kernel]) / sigmas[kernel]
            terms.append(-0.5 * z * z - log(sigmas[kernel]) - 0.5 * log(2 * Double.pi) - logMasses[kernel])
        }
        let top = terms.max() ?? -.infinity
        return top + log(terms.reduce(0) { $0 + exp($1 - top) }) - log(Double(means.count))
    }

    /// The standard normal distribution function.
    static func cdf(_ z: Double) -> Double {
        0.5 * erfc(-z / 2.0.squareRoot())
    }
}

/// A distribution over `categories` choices: observed frequencies smoothed by
/// a uniform prior worth one observation, so unseen choices stay possible.
struct CategoricalEstimator {
    private let weights: [Double]

    init(categories: Int, observations: [Int]) {
        var counts = [Double](repeating: 1 / Double(categories), count: categories)
        for index in observations where counts.indices.contains(index) {
            counts[index] += 1
        }
        let total = counts.reduce(0, +)
        weights = counts.map { $0 / total }
    }

    func logProbability(_ index: Int) -> Double {
        log(weights[index])
    }

    func sample(using generator: inout SplitMix64) -> Int {
        var remaining = generator.nextDouble(in: 0...1)
        for (index, weight) in weights.enumerated() {
            remaining -= weight
            if remaining < 0 { return index }
        }
        return weights.count - 1
    }
}

extension SplitMix64 {
    /// A standard normal draw (Box–Muller).
    mutating func nextGaussian() -> Double {
        let u = 1 - nextDouble(in: 0...1)  // (0, 1]: log(u) is finite
        let v = nextDouble(in: 0...1)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
