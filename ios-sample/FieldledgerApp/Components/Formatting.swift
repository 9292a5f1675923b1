import ForemanCore
import Foundation

extension EffortUnit {
    /// Short unit after a number: `8 h`, `1 d`.
    var short: String {
        switch self {
        case .hours: return "h"
        case .days: return "d"
        }
    }

    var title: String {
        switch self {
        case .hours: return "Hours"
        case .days: return "Days"
        }
    }
}

extension MeasureKind {
    var title: String {
        switch self {
        case .percent: return "Percent complete"
        case .quantity: return "Quantity installed"
        }
    }
}

extension RecordKind {
    var title: String {
        switch self {
        case .labourSheet: return "Labour sheet"
        case .expense: return "Expense"
        case .progressReport: return "Progress"
        case .wageAdvance: return "Wage advance"
        case .observation: return "Observation"
        case .dayLog: return "Day log"
        }
    }

    var systemImage: String {
        switch self {
        case .labourSheet: return "person.3"
        case .expense: return "yensign.circle"
        case .progressReport: return "chart.bar"
        case .wageAdvance: return "banknote"
        case .observation: return "exclamationmark.triangle"
        case .dayLog: return "cloud.sun"
        }
    }
}

extension ProgressMeasure {
    var text: String {
        switch self {
        case let .percent(percent): return "\(percent) %"
        case let .quantity(installed, unit): return "\(installed) \(unit)"
        }
    }
}

/// Milliseconds since the Unix epoch (as the core keeps times) in the phone's words.
func formatted(ms: Int64) -> String {
    Date(timeIntervalSince1970: TimeInterval(ms) / 1000).formatted(date: .abbreviated, time: .shortened)
}
