import ArgumentParser

/// `assay completion SHELL`: the shell's completion script, from ArgumentParser.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the completion script for bash, zsh or fish.",
        discussion: """
            bash: assay completion bash > ~/.local/share/bash-completion/completions/assay
            zsh:  assay completion zsh > "${fpath[1]}/_assay"
            fish: assay completion fish > ~/.config/fish/completions/assay.fish
            """)

    enum Shell: String, ExpressibleByArgument, CaseIterable {
        case bash, zsh, fish
    }

    @Argument(help: "bash, zsh or fish.")
    var shell: Shell

    func run() {
        let script = AssayCommand.completionScript(for: CompletionShell(rawValue: shell.rawValue)!)
        Terminal.out(script, terminator: script.hasSuffix("\n") ? "" : "\n")
    }
}
