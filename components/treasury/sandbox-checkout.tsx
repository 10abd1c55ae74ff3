"use client";
// The sandbox checkout on a venture's page (TREAS-008, UJ-1): a customer pays the venture through
// the built-in sandbox rail, and the payment is booked as revenue at once. For founders and admins
// trying the venture out before a real rail is connected. One idempotency key per payment, so a
// request sent twice books one payment.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { type FormEvent, useState } from "react";
import { formatMinor } from "@/components/orchestration/format";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";
import { toMinorUnits } from "./money";

const newKey = () => `checkout-${crypto.randomUUID()}`;

function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const fields = (error.data as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields) return fields;
  }
  return {};
}

export function SandboxCheckout({ ventureId, currency }: { ventureId: string; currency: string }) {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [amount, setAmount] = useState("");
  const [customer, setCustomer] = useState("");
  const [idempotencyKey, setIdempotencyKey] = useState(newKey);
  const [localError, setLocalError] = useState<string | null>(null);
  const pay = useMutation(
    trpc.treasury.receiveSandboxPayment.mutationOptions({
      onSuccess: async () => {
        setAmount("");
        setCustomer("");
        setIdempotencyKey(newKey());
        await queryClient.invalidateQueries();
      },
    }),
  );
  if (portfolio.role !== "founder" && portfolio.role !== "admin") return null;
  const errors = fieldErrors(pay.error);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const amountMinor = toMinorUnits(amount, currency);
    if (!amountMinor) {
      setLocalError(`A positive amount in ${currency}, e.g. 49.00`);
      return;
    }
    setLocalError(null);
    pay.mutate({
      portfolioId: portfolio.id,
      ventureId,
      amountMinor,
      currency,
      customer: customer.trim() === "" ? null : customer.trim(),
      idempotencyKey,
    });
  }

  const receipt = pay.data;
  return (
    <Card data-testid="sandbox-checkout">
      <CardHeader
        title="Sandbox checkout"
        description="A customer pays this venture through the built-in sandbox rail; the payment is booked as revenue. No real money moves."
      />
      <form onSubmit={onSubmit} className="grid gap-3 px-5 py-4 sm:grid-cols-[12rem_1fr_auto] sm:items-start">
        <Field label="Payment amount" error={localError ?? errors.amountMinor ?? errors.currency}>
          <Input
            name="payment-amount"
            inputMode="decimal"
            placeholder="49.00"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            aria-invalid={localError || errors.amountMinor ? true : undefined}
          />
        </Field>
        <Field label="Customer" error={errors.customer}>
          <Input
            name="payment-customer"
            placeholder="Ada Lovelace (optional)"
            value={customer}
            onChange={(e) => setCustomer(e.target.value)}
            aria-invalid={errors.customer ? true : undefined}
          />
        </Field>
        <Button type="submit" disabled={pay.isPending} className="sm:mt-6">
          {pay.isPending ? "Paying…" : "Pay with the sandbox"}
        </Button>
      </form>
      {pay.error && Object.keys(errors).length === 0 ? (
        <p role="alert" className="px-5 pb-4 text-sm text-red-600">
          {pay.error.message}
        </p>
      ) : null}
      {receipt ? (
        <p className="px-5 pb-4 text-sm text-slate-700" data-testid="checkout-result">
          <Badge tone="green">paid</Badge> {formatMinor(BigInt(receipt.amountMinor), receipt.currency)}{" "}
          received and booked as revenue · sandbox reference{" "}
          <span className="font-mono text-xs">{receipt.railReference}</span>
        </p>
      ) : null}
    </Card>
  );
}
