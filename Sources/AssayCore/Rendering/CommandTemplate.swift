import Yams

/// The trial command with its placeholders: `{config}` (the config file, or
/// the parameters as `--name=value` arguments), `{trial}`, `{repeat}`,
/// `{attempt}` and `{<parameter>}`. `{{` and `}}` are literal braces.
public enum CommandTemplate {
    /// A piece of one argument.
    enum Piece: Equatable {
        case text(String)
        case placeholder(String)
    }

    /// Splits one argument into text and placeholders.
    static func pieces(_ argument: String) throws(TemplateError) -> [Piece] {
        var pieces: [Piece] = []
        var text = ""
        var iterator = argument.makeIterator()
        var pending: Character?
        func next() -> Character? {
            if let character = pending { pending = nil; return character }
            return iterator.next()
        }
        while let character = next() {
            if character == "{" {
                guard let following = next() else { throw .unclosed }
                if following == "{" { text.append("{"); continue }
                var name = String(following)
                while let inner = next(), inner != "}" {
                    guard inner != "{" else { throw .unclosed }
                    name.append(inner)
                }
                guard argument.contains("}") else { throw .unclosed }
                if !text.isEmpty { pieces.append(.text(text)); text = "" }
                pieces.append(.placeholder(name))
            } else if character == "}" {
                guard let following = next(), following == "}" else { throw .strayClosingBrace }
                text.append("}")
            } else {
                text.append(character)
            }
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        return pieces
    }

    /// Placeholder names used in an argument.
    static func placeholders(in argument: String) throws(TemplateError) -> [String] {
        try pieces(argument).compactMap { if case .placeholder(let name) = $0 { name } else { nil } }
    }

    /// The argv for one trial. `{config}` standing alone with format `args`
    /// expands into one argument per parameter.
    public static func render(
        _ arguments: [String], trial: PlannedTrial, attempt: Int, configPath: String?, config: ConfigFile?
    ) -> [String] {
        let values = trial.parameters.values
        var argv: [String] = []
        for argument in arguments {
            if argument == "{config}", config?.format == .args {
                argv += ConfigRenderer.arguments(values)
                continue
            }
            // Validated at parse time; an invalid template renders literally.
            guard let pieces = try? pieces(argument) else { argv.append(argument); continue }
            var rendered = ""
            for piece in pieces {
                switch piece {
                case .text(let text): rendered += text
                case .placeholder("config"): rendered += configPath ?? ""
                case .placeholder("trial"): rendered += String(trial.index)
                case .placeholder("repeat"): rendered += String(trial.repetition)
                case .placeholder("attempt"): rendered += String(attempt)
                case .placeholder(let name): rendered += trial.parameters.value(named: name)?.description ?? ""
                }
            }
            argv.append(rendered)
        }
        return argv
    }
}

/// A malformed command template.
enum TemplateError: Error {
    case unclosed
    case strayClosingBrace

    var message: String {
        switch self {
        case .unclosed: "has a \"{\" without its \"}\" (write {{ for a literal brace)"
        case .strayClosingBrace: "has a \"}\" without its \"{\" (write }} for a literal brace)"
        }
    }
}

extension Declaration {
    static func checkPlaceholders(
        in command: [String], config: ConfigFile?, names: [String], _ path: FieldPath, _ node: Node, _ reader: NodeReader
    ) {
        var known = ["trial", "repeat", "attempt"] + names
        if config != nil { known.insert("config", at: 0) }
        for (index, argument) in command.enumerated() {
            let argumentNode = node[index]
            do throws(TemplateError) {
                for name in try CommandTemplate.placeholders(in: argument) where !known.contains(name) {
                    let hint = name == "config" ? "{config} needs a config section" : Suggestion.unknown("placeholder", "{\(name)}", allowed: known.map { "{\($0)}" })
                    reader.fail(path.index(index), argumentNode, hint)
                }
            } catch {
                reader.fail(path.index(index), argumentNode, error.message)
            }
            if config?.format == .args, argument != "{config}", argument.contains("{config}") {
                reader.fail(path.index(index), argumentNode, "with config format args, {config} must be a whole argument (it expands into several)")
            }
        }
    }
}
